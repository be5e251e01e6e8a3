"""Ingest throughput: parse-only vs parse + store, and memory as the input grows.

Generates COUNT bounce messages into a temporary Maildir (built from the fixture corpus, with
varied recipients and unique Message-IDs), then, in the same run:

1. parse-only: read every file and parse it (the baseline);
2. ingest: read, parse and record every message into a fresh SQLite file, as
   `bouncewatch ingest` does (grouped commits, one savepoint per message).

Prints messages per second for both, the ratio (the cost of storage), and the resident memory
at 10 %, 50 % and 100 % of each phase plus the peak.  Targets: storage adds at most 50 % over
parse-only; memory stays flat (under 150 MB) as the input grows.

    .venv/bin/python benchmarks/ingest.py              # 100,000 messages
    .venv/bin/python benchmarks/ingest.py --count 10000
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

from bouncewatch.model import DEFAULT_PARSE_OPTIONS
from bouncewatch.parse import parse_message
from bouncewatch.sources.files import iter_path
from bouncewatch.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
NOW = datetime(2026, 11, 23, tzinfo=UTC)
MESSAGE_ID = re.compile(rb"^(Message-ID:\s*)<[^>\r\n]*>", re.I | re.M)


def rss_mb() -> float:
    """Current resident set size (Linux /proc), MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def templates() -> list[tuple[bytes, list[bytes]]]:
    """Each fixture message with the recipient addresses found in it."""
    out = []
    for path in sorted(FIXTURES.rglob("*.eml")):
        if "broken" in path.parts:
            continue
        data = path.read_bytes()
        result = parse_message(data)
        addrs = sorted(
            {r.report.address.encode() for r in result.recipients if r.report.address},
            key=len,
            reverse=True,
        )
        out.append((data, [a for a in addrs if a in data]))
    if not out:
        sys.exit(f"no fixtures under {FIXTURES}")
    return out


def generate(root: Path, count: int, seed: int = 1) -> int:
    """A Maildir of `count` messages; returns total bytes."""
    rng = random.Random(seed)
    cur = root / "cur"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    tpl = templates()
    domains = [f"d{k}.example.org" for k in range(200)]
    population = max(count // 5, 100)  # each address bounces about five times
    total = 0
    for i in range(count):
        data, addrs = tpl[i % len(tpl)]
        for a in addrs:
            fresh = f"user{rng.randrange(population)}@{rng.choice(domains)}".encode()
            data = data.replace(a, fresh)
        data = MESSAGE_ID.sub(rb"\g<1><bench-%d@mx.example.net>" % i, data, count=1)
        if not MESSAGE_ID.search(data):
            data = b"Message-ID: <bench-%d@mx.example.net>\n" % i + data
        (cur / f"{1_700_000_000 + i:012d}.M{i}P1.bench:2,S").write_bytes(data)
        total += len(data)
    return total


def timed(label: str, count: int, step: Callable[[], int]) -> tuple[float, list[float]]:
    marks = {max(1, count // 10), max(1, count // 2), count}
    samples: list[float] = []
    t0 = time.perf_counter()
    n = 0
    for _ in iter(step, 0):
        n += 1
        if n in marks:
            samples.append(rss_mb())
    elapsed = time.perf_counter() - t0
    if n != count:
        sys.exit(f"{label}: read {n} messages, expected {count} (files removed meanwhile?)")
    print(
        f"{label:<11} {n:>7} messages  {elapsed:7.2f} s  {n / elapsed:8.0f} msg/s  "
        f"RSS at 10/50/100 %: {' / '.join(f'{s:.0f}' for s in samples)} MB"
    )
    return elapsed, samples


def _cache_clearer() -> Callable[[], None]:
    from bouncewatch.parse import mime

    caches = [v for k, v in vars(mime).items() if k.endswith("_cache") and hasattr(v, "clear")]
    print(f"clearing parser caches after each message: {len(caches)}")
    return lambda: [c.clear() for c in caches] and None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500, help="messages per commit (1: one each)")
    ap.add_argument("--workdir", type=Path, help="keep the Maildir and database here")
    ap.add_argument(
        "--clear-parse-caches",
        action="store_true",
        help="diagnostic: empty the parser's per-message caches after each message, to tell "
        "the parser's memory from the store's",
    )
    args = ap.parse_args()
    clear = _cache_clearer() if args.clear_parse_caches else (lambda: None)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bouncewatch-ingest-benchmark-"))
    work.mkdir(parents=True, exist_ok=True)
    maildir, db = work / "Maildir", work / "bench.db"
    try:
        if not (maildir / "cur").is_dir() or len(list((maildir / "cur").iterdir())) != args.count:
            shutil.rmtree(maildir, ignore_errors=True)
            t = time.perf_counter()
            size = generate(maildir, args.count)
            print(
                f"generated {args.count} messages ({size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t:.1f} s"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

        source = iter_path(str(maildir))

        def parse_one() -> int:
            raw = next(source, None)
            if raw is None:
                return 0
            parse_message(raw.data, DEFAULT_PARSE_OPTIONS)
            clear()
            return 1

        parse_s, _ = timed("parse-only", args.count, parse_one)
        gc.collect()
        alive = sum(isinstance(o, Message) for o in gc.get_objects())
        print(f"            parsed messages still in memory after parse-only: {alive}")

        store = Store.open(db)
        source = iter_path(str(maildir))

        def ingest_one() -> int:
            raw = next(source, None)
            if raw is None:
                return 0
            store.record(raw, parse_message(raw.data, DEFAULT_PARSE_OPTIONS), NOW)
            clear()
            return 1

        with store.batch(args.batch):
            ingest_s, ingest_rss = timed("ingest", args.count, ingest_one)
        events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
        addresses = store.conn.execute("SELECT count(*) FROM addresses").fetchone()[0]
        store.close()
        ratio = ingest_s / parse_s
        print(
            f"database    {events} events, {addresses} addresses, {db.stat().st_size / 1e6:.0f} MB"
        )
        print(f"ratio       ingest / parse-only time = {ratio:.2f} (storage adds {ratio - 1:.0%})")
        print(f"peak RSS    {peak_mb():.0f} MB (whole run)")
        growth = ingest_rss[-1] - ingest_rss[0] if ingest_rss else 0.0
        ok_ratio = "OK" if ratio <= 1.5 else "OVER TARGET"
        ok_mem = "OK" if peak_mb() < 150 else "OVER TARGET"
        print(
            f"targets     storage <= +50 %: {ok_ratio}; memory < 150 MB: {ok_mem} "
            f"(RSS growth from 10 % to 100 % of ingest: {growth:+.0f} MB)"
        )
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
