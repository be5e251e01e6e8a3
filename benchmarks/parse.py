"""Parse + classify throughput over the fixture corpus, against the bare stdlib parser.

    python benchmarks/parse.py [--min-messages 10000] [--profile]

The corpus (every fixtures/*/*.eml) is repeated until it holds at least --min-messages
messages.  Both timings run in the same process, on the same bytes, one core, alternating in
chunks of 100 messages, and count CPU time (process_time), so other load on the machine
does not tilt the ratio: parse_message time / email.message_from_bytes time.
"""

from __future__ import annotations

import argparse
import cProfile
import email
import gc
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bouncewatch.parse import parse_message  # noqa: E402


def corpus(min_messages: int) -> list[bytes]:
    files = sorted((ROOT / "fixtures").glob("*/*.eml"))
    base = [p.read_bytes() for p in files]
    if not base:
        raise SystemExit("no fixtures found")
    out: list[bytes] = []
    while len(out) < min_messages:
        out.extend(base)
    return out


def interleaved(runs: int, messages: list[bytes], chunk: int = 100) -> tuple[float, float]:
    """(stdlib seconds, parse_message seconds) for one pass over `messages`, best of `runs`.

    The two are timed in alternating chunks of the same messages, so a busy machine slows
    both alike and the ratio stays meaningful even when absolute figures are not."""
    best_std = best_ours = float("inf")
    parse = email.message_from_bytes
    for _ in range(runs):
        gc.collect()
        std = ours = 0.0
        for i in range(0, len(messages), chunk):
            batch = messages[i : i + chunk]
            t0 = time.process_time()
            for data in batch:
                parse(data)
            t1 = time.process_time()
            for data in batch:
                parse_message(data)
            t2 = time.process_time()
            std += t1 - t0
            ours += t2 - t1
        best_std, best_ours = min(best_std, std), min(best_ours, ours)
    return best_std, best_ours


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-messages", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print the top of a cProfile run")
    args = ap.parse_args()

    messages = corpus(args.min_messages)
    size = sum(map(len, messages))
    for data in messages[:500]:  # warm caches (regexes, classifier memo) the same for both
        parse_message(data)
        email.message_from_bytes(data)

    stdlib, ours = interleaved(args.runs, messages)
    n = len(messages)
    print(f"corpus: {n} messages ({n and size // n} bytes average), best of {args.runs} runs")
    print("CPU time, the two parsers alternating in chunks of the same messages")
    print(f"email.message_from_bytes : {n / stdlib:9,.0f} msg/s  ({stdlib:.3f} s CPU)")
    print(f"parse_message (+classify): {n / ours:9,.0f} msg/s  ({ours:.3f} s CPU)")
    print(f"ratio parse_message / stdlib parse: {ours / stdlib:.2f}  (target <= 1.6)")

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for data in messages:
            parse_message(data)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
