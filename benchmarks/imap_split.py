"""Where an IMAP pass spends its time: the pass of `benchmarks/imap.py`, run in this process.

    python benchmarks/imap_split.py [--count 10000] [--batch-size 500] [--prefetch N]

The same N bounces as `benchmarks/imap.py`, APPENDed to a private Dovecot, then one
`run --once` pass in this process with a clock around each step, per thread: waiting on the
socket, reading FETCH answers (the lean reader and imapclient's parser), parse + classify,
the store's `record`, logging, the MOVE, SELECT and the size listing.  It also prints the CPU
time of the process and of the thread that records, and how long that thread waited for the
connection: the IMAP overhead the pass did not hide behind its own work.  The clocks cost a
little themselves: the msg/s figure of `benchmarks/imap.py` is the one to quote.
"""

from __future__ import annotations

import argparse
import collections
import functools
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import imap as bench  # noqa: E402
from dovecot import Dovecot  # noqa: E402

import bouncewatch.ingest as ingest  # noqa: E402
import bouncewatch.sources.imap as imap  # noqa: E402
import bouncewatch.sources.imap_transport as transport  # noqa: E402
from bouncewatch.daemon.once import run_once  # noqa: E402
from bouncewatch.logging_setup import setup_logging  # noqa: E402
from bouncewatch.store import Store  # noqa: E402

#: (thread, step) → seconds, and how many calls
SPENT: collections.defaultdict[tuple[str, str], float] = collections.defaultdict(float)
CALLS: collections.Counter[tuple[str, str]] = collections.Counter()


def clock(owner: Any, name: str, step: str) -> None:
    """Wrap `owner.name` (when it exists) in a clock that adds to SPENT[thread, step]."""
    fn: Callable[..., Any] | None = getattr(owner, name, None)
    if fn is None:
        return

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            key = threading.current_thread().name, step
            SPENT[key] += time.perf_counter() - started
            CALLS[key] += 1

    setattr(owner, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument(
        "--prefetch", type=int, default=getattr(imap, "PREFETCH", 0), help="batches fetched ahead"
    )
    args = ap.parse_args()
    imap.PREFETCH = args.prefetch  # type: ignore[attr-defined,unused-ignore]

    clock(transport._BoundedReads, "_fill", "socket wait + read")
    clock(imap, "read_bodies", "FETCH answers (lean)")
    clock(imap, "read_sizes", "FETCH answers (lean)")
    clock(imap, "parse_fetch_response", "FETCH answers (imapclient)")
    clock(imap.ImapFolder, "_send_batch", "send a batch's FETCH")
    clock(imap.ImapFolder, "_read_batch", "read a batch's FETCH")
    clock(imap.ImapFolder, "_move", "send (or run) a MOVE")
    clock(imap.ImapFolder, "sizes", "list the sizes")  # (a tree that lists them at once)
    clock(imap.ImapFolder, "_sizes_of", "read a size listing")
    clock(imap.ImapFolder, "select", "SELECT")
    clock(ingest, "safe_parse", "parse + classify")
    clock(Store, "record", "store: record")
    clock(ingest, "record_batch", "record a batch (all of it)")
    clock(logging.Handler, "handle", "logging")

    messages = bench.make_messages(args.count)
    work = Path(tempfile.mkdtemp(prefix="bw-split-"))
    work.chmod(0o755)
    try:
        with Dovecot(work / "dovecot") as server:
            user = server.add_user("bench", "bench-password")
            (work / "password").write_text(user.password)
            config = work / "config.toml"
            config.write_text(
                f'database = "{work / "bench.db"}"\n\n[[mailbox]]\nname = "bench"\n'
                f'host = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
                f'username = "{user.name}"\npassword_file = "{work / "password"}"\n\n'
                f"[schedule]\nbatch_size = {args.batch_size}\n"
            )
            bench.append_all(server, user.name, user.password, messages)
            setup_logging()  # as `run` does: its lines on stderr
            cpu0, main0 = os.times(), time.thread_time()
            started = time.perf_counter()
            code = run_once(config)
            wall = time.perf_counter() - started
            cpu1, main1 = os.times(), time.thread_time()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if code != 0:
        sys.exit(f"run --once ended {code}")
    n = args.count
    print(f"messages {n}, batch size {args.batch_size}, prefetch {args.prefetch}")
    print(f"the pass (wall, with the clocks): {wall:.2f} s  {n / wall:,.0f} msg/s")
    cpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system
    print(f"CPU: process {cpu:.2f} s, recording thread {main1 - main0:.2f} s")
    recording = SPENT["MainThread", "record a batch (all of it)"]
    print(
        f"recording thread outside record_batch (waiting for IMAP, SELECT, sizes): "
        f"{wall - recording:.2f} s  {1e6 * (wall - recording) / n:.0f} us/msg"
    )
    for (thread, step), seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        calls = CALLS[thread, step]
        print(
            f"  {thread:<14} {step:<28} {seconds:6.2f} s  {1e6 * seconds / n:6.0f} us/msg"
            f"  {calls:>7} calls"
        )


if __name__ == "__main__":
    main()
