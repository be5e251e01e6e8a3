"""What each detector costs: CPU time per call and per message, calls per message, hits.

    python benchmarks/detectors.py [--corpus DIR] [--reps 5] [--own] [--top 25]

Every message (fixtures/**/*.eml, or every *.eml under --corpus DIR) goes through
`analyze` `--reps` times with each detector's `detect` timed (CPU time, process_time), so
the figures are the registry's real order: a detector is called only on the messages that
no detector before it recognised.  The work decoders share (the header index, the decoded
body text, the part list) is paid by the first detector that needs it; `--own` computes it
before each call, outside the timer, so each line shows the detector's own cost.  The
figures include the timer's own cost (about a microsecond a call on a busy machine):
compare runs made the same way, on the same machine, at the same time.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # (an installed package, e.g. the compiled build, comes first)

from bouncewatch.analyze import analyze  # noqa: E402
from bouncewatch.parse import registry  # noqa: E402
from bouncewatch.parse.formats._common import body_text, message_info  # noqa: E402
from bouncewatch.parse.parts import typed_parts  # noqa: E402

spent: collections.Counter[str] = collections.Counter()
calls: collections.Counter[str] = collections.Counter()
hits: collections.Counter[str] = collections.Counter()


def timed(name: str, detect: Callable[[Message], object], own: bool) -> Callable[[Message], object]:
    def run(msg: Message) -> object:
        if own:
            message_info(msg)
            body_text(msg)
            typed_parts(msg)
        t0 = time.process_time()
        try:
            found = detect(msg)
        finally:
            spent[name] += time.process_time() - t0
            calls[name] += 1
        if found is not None:
            hits[name] += 1
        return found

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="a folder of .eml files instead of fixtures/")
    ap.add_argument("--reps", type=int, default=5, help="passes over the messages")
    ap.add_argument("--own", action="store_true", help="shared work done outside the timer")
    ap.add_argument("--top", type=int, default=25, help="detectors printed")
    args = ap.parse_args()

    folder = args.corpus or ROOT / "fixtures"
    messages = [p.read_bytes() for p in sorted(folder.rglob("*.eml"))]
    if not messages:
        raise SystemExit(f"no .eml files under {folder}")
    # each step of the registry's plan (its detector's bound `detect`) wrapped in a timer:
    # the detectors themselves are left alone (the compiled build's are read-only)
    registry._DEFAULT_PLAN = tuple(
        (timed(step[1], step[0], args.own), *step[1:])  # type: ignore[misc]
        for step in registry._DEFAULT_PLAN
    )
    for data in messages:  # warm-up: compiled regexes, lazily imported modules
        analyze(data)
    spent.clear(), calls.clear(), hits.clear()

    t0 = time.process_time()
    for _ in range(args.reps):
        for data in messages:
            analyze(data)
    total = time.process_time() - t0
    n = len(messages) * args.reps
    detectors = sum(spent.values())
    print(
        f"{len(messages)} messages x {args.reps}: analyze {total / n * 1e6:.1f} us/msg CPU,"
        f" detectors {detectors / n * 1e6:.1f} us/msg"
        f" (without rfc3464: {(detectors - spent['rfc3464']) / n * 1e6:.1f})"
        + (" -- own cost (shared work outside the timer)" if args.own else "")
    )
    print(f"{'detector':18} {'us/msg':>8} {'us/call':>8} {'calls/msg':>10} {'hits':>6}")
    for name, seconds in spent.most_common(args.top):
        print(
            f"{name:18} {seconds / n * 1e6:8.2f} {seconds / calls[name] * 1e6:8.1f}"
            f" {calls[name] / n:10.2f} {hits[name] // args.reps:6d}"
        )


if __name__ == "__main__":
    main()
