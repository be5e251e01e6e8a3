"""How long `bouncewatch report` takes over a large history.

Generates N events (default 1,000,000) over a year into a fresh database (or reuses --db), then
times every report bucketing, each findings detector, the HTML page, and — as the baseline, in
the same run — a bare `SELECT count(*) … GROUP BY` over the same table.  Wall-clock seconds
and, because the machine may be shared, the CPU seconds of the same runs.  `--index` first adds
the covering index the report queries are shaped for (see REPORT_INDEX).

    .venv/bin/python benchmarks/report.py [--events N] [--db PATH] [--repeat 3] [--index]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import synthetic as syn

from bouncewatch.reports import findings as fd
from bouncewatch.reports import queries as q
from bouncewatch.reports.html import render_page
from bouncewatch.reports.report import build_report
from bouncewatch.store import Store

END = date(2026, 11, 20)
REPORT_INDEX = (
    "CREATE INDEX IF NOT EXISTS events_report ON events"
    "(occurred_at, event_type, bounce_type, list_source, domain, reason, address)"
)
SOURCES = ("newsletter", "onboarding", "spring-sale", "webinar", "partner-list", "")


def generate(path: Path, events: int) -> float:
    started = time.perf_counter()
    conn = syn.create_database(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    chunk = 250_000
    for seed, first in enumerate(range(0, events, chunk), start=1):
        n = min(chunk, events - first)
        batch = syn.random_events(n, days=365, end=END, seed=seed)
        batch.sort(key=lambda e: e[syn.OCCURRED])
        syn.write_events(conn, batch)
    history = syn.History()
    for n in range(365):
        for source in SOURCES:
            history.sent(END - timedelta(n), 60_000, source)
    history.write(conn)
    conn.close()
    Store.open(path).close()  # as a deployment would: views current, PRAGMA optimize
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall-clock seconds; the CPU seconds of the same runs go to CPU_TIMES."""
    runs, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    CPU_TIMES.append(statistics.median(cpu))
    return statistics.median(runs)


CPU_TIMES: list[float] = []


def cpu() -> float:
    return CPU_TIMES[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, help="reuse (or create) this database file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--index",
        action="store_true",
        help=f"add the covering index reports would like first: {REPORT_INDEX}",
    )
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "bench.db"
    if not path.exists():
        print(f"generating {args.events:,} events into {path} …", flush=True)
        print(f"  generated in {generate(path, args.events):.1f} s")
    store = Store.open(path)
    conn: sqlite3.Connection = store.conn
    if args.index:
        started = time.perf_counter()
        conn.execute(REPORT_INDEX)
        conn.execute("ANALYZE")
        print(f"covering index built in {time.perf_counter() - started:.1f} s")
    indexes = [r[0] for r in conn.execute("SELECT name FROM pragma_index_list('events')")]
    print(f"events indexes: {', '.join(sorted(indexes))}")
    n = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    size = path.stat().st_size / 1e6
    print(f"events: {n:,}  database: {size:.0f} MB  repeat: median of {args.repeat}")

    baselines = {
        "day": "SELECT substr(occurred_at, 1, 10) AS d, count(*) FROM events GROUP BY d",
        "domain": "SELECT domain, count(*) FROM events GROUP BY domain",
        "source": "SELECT list_source, count(*) FROM events GROUP BY list_source",
    }
    base = {
        k: timed(lambda s=sql: conn.execute(s).fetchall(), args.repeat)
        for k, sql in baselines.items()
    }
    base_cpu = dict(zip(baselines, CPU_TIMES, strict=True))
    print("baseline CPU seconds: " + ", ".join(f"{k} {c:.3f}" for k, c in base_cpu.items()))
    base["week"] = base["day"]
    period = q.Period()
    print(f"\n{'what':<28}{'seconds':>9}{'baseline':>10}{'ratio':>7}{'cpu s':>8}")
    for by in ("day", "week", "domain", "source"):
        s = timed(lambda b=by: build_report(conn, period, by=b, findings=False), args.repeat)
        print(
            f"{'report --by ' + by:<28}{s:>9.3f}{base[by]:>10.3f}{s / base[by]:>7.1f}{cpu():>8.3f}"
        )
    t = fd.Thresholds()
    total = 0.0
    for detect in fd.DETECTORS:
        # a fresh snapshot each time: every detector pays for the scans it needs
        s = timed(lambda d=detect: d(q.Snapshot(conn, period, history_days=28), t), args.repeat)
        total += s
        print(f"{'finding ' + detect.__name__:<28}{s:>9.3f}{'':>17}{cpu():>8.3f}")
    s = timed(lambda: fd.find_all(conn, period, t), args.repeat)
    print(
        f"{'all findings (shared scans)':<28}{s:>9.3f}{base['day']:>10.3f}{s / base['day']:>7.1f}"
        f"{cpu():>8.3f}"
    )
    s = timed(lambda: build_report(conn, period, by="day"), args.repeat)
    print(
        f"{'report (day + findings)':<28}{s:>9.3f}{base['day']:>10.3f}{s / base['day']:>7.1f}{cpu():>8.3f}"
    )
    s = timed(lambda: render_page(conn, period), args.repeat)
    print(f"{'report --html':<28}{s:>9.3f}{base['day']:>10.3f}{s / base['day']:>7.1f}{cpu():>8.3f}")
    last30 = q.Period(f"{END - timedelta(29)}T00:00:00Z", f"{END + timedelta(1)}T00:00:00Z")
    s = timed(lambda: build_report(conn, last30, by="day"), args.repeat)
    print(f"{'report --since 30d':<28}{s:>9.3f}{'':>17}{cpu():>8.3f}")
    store.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
