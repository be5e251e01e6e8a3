"""Ingest throughput: parse-only vs parse + store, and memory as the input grows.

Generates COUNT bounce messages into a temporary Maildir (built from the fixture corpus, with
varied recipients and unique Message-IDs), then, in the same run:

1. parse-only: read every file and parse it (the baseline);
2. ingest: read, parse and record every message into a fresh SQLite file, as
   `bouncewatch ingest` does (`record_batch`: a batch of 2,000 files a transaction).

The two alternate over chunks of the input (see `measure`), so a busy machine slows both alike.
Then the store alone: messages parsed beforehand, recorded into another fresh file, with the
calls into SQLite counted.

Prints messages per second for both, the ratio (the cost of storage; in wall-clock and in CPU
time: the same while everything runs in one thread) and how that cost grows with the database
(by fifth of the input), the store's own cost per message, and the resident memory at 10 %,
50 % and 100 % of the input plus the peak.  Targets: storage adds at most 25 %
over parse-only; memory stays flat (under 150 MB) as the input grows.

    .venv/bin/python benchmarks/ingest.py              # 100,000 messages
    .venv/bin/python benchmarks/ingest.py --count 10000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bouncewatch.analyze import analyze
from bouncewatch.ingest import record_batch
from bouncewatch.model import DEFAULT_PARSE_OPTIONS, RawMessage
from bouncewatch.sources.files import read_message_file
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
        result = analyze(data)
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
    # each address bounces about five times: a population of count / 5 addresses, each with
    # its own domain (a user number and a domain drawn apart would make nearly every
    # recipient a new address)
    population = [f"user{k}@{rng.choice(domains)}".encode() for k in range(max(count // 5, 100))]
    total = 0
    for i in range(count):
        data, addrs = tpl[i % len(tpl)]
        for a in addrs:
            data = data.replace(a, rng.choice(population))
        data = MESSAGE_ID.sub(rb"\g<1><bench-%d@mx.example.net>" % i, data, count=1)
        if not MESSAGE_ID.search(data):
            data = b"Message-ID: <bench-%d@mx.example.net>\n" % i + data
        (cur / f"{1_700_000_000 + i:012d}.M{i}P1.bench:2,S").write_bytes(data)
        total += len(data)
    return total


class Chunk:
    """The files of one chunk as an ingest `Source` of batches of `batch` messages (as
    `bouncewatch ingest` gives them: each batch one transaction, a failing message stops the
    run)."""

    name = "files"
    each_message_atomic = False

    def __init__(self, paths: list[str], batch: int) -> None:
        self.paths = paths
        self.batch = batch

    def batches(self) -> Iterator[list[RawMessage]]:
        for start in range(0, len(self.paths), self.batch):
            yield [read(path) for path in self.paths[start : start + self.batch]]

    def advance(self, store: object, batch: object) -> None:
        """Files keep no cursor."""

    def acknowledge(self, batch: object) -> None:
        """Files are never modified."""


def read(path: str) -> RawMessage:
    raw = read_message_file(Path(path))
    assert raw is not None
    return raw


class Statements:
    """Counts the calls into SQLite (`execute` and `executemany`) and the rows they write."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.calls = 0
        self.rows = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.calls += 1
        cur = self.conn.execute(sql, *args)
        self.rows += max(cur.rowcount, 0)
        return cur

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self.calls += 1
        cur = self.conn.executemany(sql, rows)
        self.rows += max(cur.rowcount, 0)
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


#: batches per chunk of the input (see `measure`)
BATCHES_A_CHUNK = 5


def measure(maildir: Path, db: Path, count: int, batch: int) -> dict[str, float]:
    """Parse-only and ingest over the same chunks of files, alternately; then the store alone.

    Each chunk of BATCHES_A_CHUNK batches is read and parsed (parse-only), and read, parsed
    and recorded (ingest: `record_batch` on each batch, one transaction each, as `bouncewatch
    ingest`), the two in turn, each first every other chunk.  Alternating makes both phases
    see the same machine: a busy neighbour slows both, not one, so the ratio holds on a
    shared box.  A checkpoint the store's thread runs (`store.checkpoint`) goes on while the
    next batch is parsed: an ingest chunk ends when it is done, so its time (and its CPU
    time: process time counts every thread) is the ingest's, never the parse-only phase's.

    The store alone: the first chunks' messages, parsed beforehand, recorded again into a
    second fresh file (`Store.record_many`), with the calls into SQLite counted."""
    chunk = batch * BATCHES_A_CHUNK
    cur = str(maildir / "cur")
    files = [os.path.join(cur, name) for name in sorted(os.listdir(cur))]  # str: as ingest does
    if len(files) != count:
        sys.exit(f"expected {count} messages in {maildir}, found {len(files)}")
    store = Store.open(db)
    parse_s = ingest_s = parse_cpu = ingest_cpu = 0.0
    chunks: list[tuple[int, float]] = []  # (messages, ingest minus parse-only) per chunk
    rss: dict[int, float] = {}
    marks = {max(1, count // 10), max(1, count // 2), count}
    done = 0
    for k, start in enumerate(range(0, count, chunk)):
        paths = files[start : start + chunk]
        # the phase that reads a chunk second finds the classifier's cache warm with its
        # diagnostics: each phase goes first every other chunk
        storage = 0.0
        for phase in ("parse", "ingest") if k % 2 == 0 else ("ingest", "parse"):
            t, c = time.perf_counter(), time.process_time()
            if phase == "parse":
                for path in paths:
                    analyze(read(path).data, DEFAULT_PARSE_OPTIONS)
                dt = time.perf_counter() - t
                parse_s += dt
                parse_cpu += time.process_time() - c
                storage -= dt
                continue
            source = Chunk(paths, batch)
            for messages in source.batches():
                record_batch(source, messages, store, DEFAULT_PARSE_OPTIONS, now=lambda: NOW)
            if store.checkpointer is not None:
                store.checkpointer.wait()
            dt = time.perf_counter() - t
            ingest_s += dt
            ingest_cpu += time.process_time() - c
            storage += dt
        chunks.append((len(paths), storage))
        done += len(paths)
        for m in marks:
            if done >= m and m not in rss:
                rss[m] = rss_mb()
    events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    addresses = store.conn.execute("SELECT count(*) FROM addresses").fetchone()[0]
    messages = store.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    store.close()
    if messages != count:
        sys.exit(f"recorded {messages} messages, expected {count}")
    return {
        "parse_s": parse_s,
        "ingest_s": ingest_s,
        "parse_cpu": parse_cpu,
        "ingest_cpu": ingest_cpu,
        "events": events,
        "addresses": addresses,
        "rss_10": rss[max(1, count // 10)],
        "rss_50": rss[max(1, count // 2)],
        "rss_100": rss[count],
        "by_fifth": by_fifth(chunks),
        **store_alone(files[: min(count, STORE_ALONE)], db.with_name("store-alone.db"), batch),
    }


def by_fifth(chunks: list[tuple[int, float]]) -> list[float]:
    """The storage cost (ingest minus parse-only) in microseconds per message over each
    fifth of the input, in order: the database grows as the input is read, and so does the
    cost of writing to it."""
    total = sum(n for n, _ in chunks)
    sums = [[0, 0.0] for _ in range(5)]
    done = 0
    for n, storage in chunks:
        fifth = min(4, 5 * done // max(total, 1))
        sums[fifth][0] += n
        sums[fifth][1] += storage
        done += n
    return [1e6 * s / n if n else float("nan") for n, s in sums]


#: how many messages the store-alone measure records
STORE_ALONE = 20_000


def store_alone(files: list[str], db: Path, chunk: int) -> dict[str, float]:
    """The store's own cost: messages parsed beforehand, recorded batch by batch."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = Store.open(db)
    counted = Statements(store.conn)
    store.conn = counted  # type: ignore[assignment]
    store_s = 0.0
    for start in range(0, len(files), chunk):
        batch = [read(path) for path in files[start : start + chunk]]
        ready = [(raw, analyze(raw.data, DEFAULT_PARSE_OPTIONS), NOW) for raw in batch]
        t = time.perf_counter()
        with store.batch(len(ready) + 1, each_message_atomic=False):
            store.record_many(ready)
        store_s += time.perf_counter() - t
    store.conn = counted.conn
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    n = len(files)
    return {"store_us": 1e6 * store_s / n, "calls": counted.calls / n, "rows": counted.rows / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument(
        "--batch", type=int, default=2000, help="messages per batch (one transaction each)"
    )
    ap.add_argument("--workdir", type=Path, help="keep the Maildir and database here")
    args = ap.parse_args()

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

        r = measure(maildir, db, args.count, args.batch)
        n = args.count
        ratio = r["ingest_s"] / r["parse_s"]
        print(f"parse-only  {n / r['parse_s']:8.0f} msg/s  ({r['parse_s']:.1f} s for {n} messages)")
        print(
            f"ingest      {n / r['ingest_s']:8.0f} msg/s  ({r['ingest_s']:.1f} s; parse + record)"
        )
        print(
            f"storage     {1000 * (r['ingest_s'] - r['parse_s']) / n:.2f} ms per message; "
            f"ratio ingest / parse-only = {ratio:.2f} (storage adds {ratio - 1:.0%})"
        )
        print(
            f"            in CPU time: {r['parse_cpu']:.1f} s and {r['ingest_cpu']:.1f} s, ratio "
            f"{r['ingest_cpu'] / r['parse_cpu']:.2f}"
        )
        print(
            "            by fifth of the input (the database growing): "
            + " / ".join(f"{us:.0f}" for us in r["by_fifth"])
            + " us per message"
        )
        print(
            f"store alone {r['store_us']:.0f} us per message (parsed beforehand); "
            f"{r['calls']:.3f} calls into SQLite and {r['rows']:.2f} rows written per message"
        )
        print(
            f"database    {r['events']} events, {r['addresses']} addresses, "
            f"{db.stat().st_size / 1e6:.0f} MB"
        )
        print(
            f"memory      RSS at 10/50/100 % of the input: {r['rss_10']:.0f} / {r['rss_50']:.0f} / "
            f"{r['rss_100']:.0f} MB; peak {peak_mb():.0f} MB"
        )
        ok_ratio = "OK" if ratio <= 1.25 else "OVER TARGET"
        ok_mem = "OK" if peak_mb() < 150 else "OVER TARGET"
        print(f"targets     storage <= +25 %: {ok_ratio}; memory < 150 MB: {ok_mem}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
