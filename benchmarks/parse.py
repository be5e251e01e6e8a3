"""Parse + classify throughput over the fixture corpus, against the bare stdlib parser.

    python benchmarks/parse.py [--min-messages 10000] [--profile]

The corpus (every fixtures/*/*.eml) is repeated until it holds at least --min-messages
messages.  Both timings run in the same process, on the same bytes, one core.  The ratio
is parse_message time / email.message_from_bytes time (target: <= 1.6, and >= 4,000 msg/s).
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


def best_of(runs: int, fn, messages: list[bytes]) -> float:
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        for data in messages:
            fn(data)
        best = min(best, time.perf_counter() - start)
    return best


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

    stdlib = best_of(args.runs, email.message_from_bytes, messages)
    ours = best_of(args.runs, parse_message, messages)
    n = len(messages)
    print(f"corpus: {n} messages ({n and size // n} bytes average), best of {args.runs} runs")
    print(f"email.message_from_bytes : {n / stdlib:9,.0f} msg/s  ({stdlib:.3f} s)")
    print(f"parse_message (+classify): {n / ours:9,.0f} msg/s  ({ours:.3f} s)")
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
