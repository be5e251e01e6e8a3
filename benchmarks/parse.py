"""Parse + classify throughput over the fixture corpus, against the bare stdlib parser.

    python benchmarks/parse.py [--corpus DIR] [--min-messages 10000] [--profile]

The corpus (every fixtures/**/*.eml, or every *.eml under --corpus DIR, e.g. a folder of
real bounces) is repeated until it holds at least --min-messages
messages.  Both timings run in the same process, on the same bytes, one core, alternating in
chunks of 100 messages, and count CPU time (process_time), so other load on the machine
does not tilt the ratio: analyze time / email.message_from_bytes time.

The repeated corpus lets the classifier's result cache answer most calls; a line prints
the classifier's cost per message with that cache warm and cold.  Then the same ratio for each
shape of message (`by_shape`): those whose recipients come from a machine-readable report
part, those read from a text body, and the rest.  Then, over one pass of the distinct
messages: how many reached the flufl.bounce fallback, how many ran its heuristics,
and what that cost.  `--profile` prints the top of a cProfile run, by own time and by
cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import email
import gc
import pstats
import sys
import time
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # (an installed package, e.g. the compiled build, comes first)

import bouncewatch  # noqa: E402
from bouncewatch.analyze import analyze  # noqa: E402


def corpus(min_messages: int, folder: Path | None = None) -> list[bytes]:
    files = sorted((folder or ROOT / "fixtures").rglob("*.eml"))
    base = [p.read_bytes() for p in files]
    if not base:
        raise SystemExit(f"no .eml files under {folder or ROOT / 'fixtures'}")
    out: list[bytes] = []
    while len(out) < min_messages:
        out.extend(base)
    return out


def interleaved(runs: int, messages: list[bytes], chunk: int = 100) -> tuple[float, float]:
    """(stdlib seconds, analyze seconds) for one pass over `messages`, best of `runs`.

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
                analyze(data)
            t2 = time.process_time()
            std += t1 - t0
            ours += t2 - t1
        best_std, best_ours = min(best_std, std), min(best_ours, ours)
    return best_std, best_ours


#: the detectors that read a machine-readable part (RFC 3464 delivery-status, RFC 5965
#: feedback report); every other detector reads its recipients from text
REPORT_DETECTORS = frozenset({"rfc3464", "arf"})
#: what `analyze` names when no bounce format recognised the message
NO_FORMAT = frozenset({"none", "autoreply", "verp", "flufl"})


def shape(detector: str) -> str:
    """The group a message's detector puts it in (see `by_shape`)."""
    base = detector.split("+", 1)[0]
    if base in REPORT_DETECTORS:
        return "report part (rfc3464, arf)"
    if base in NO_FORMAT:
        return "no format (auto-replies, not bounces, the heuristics' guesses)"
    return "text body (the other formats)"


def by_shape(distinct: list[bytes], runs: int, min_messages: int) -> list[str]:
    """The ratio for each shape of message, each group timed as the whole corpus is
    (`interleaved`, its messages repeated to about a third of `min_messages`).

    The standard parser's cost depends on the shape: for a multipart report it builds a tree
    of parts, for a single-part text bounce it only splits the headers from the body, while
    `analyze` must read that body to find the recipients.  The corpus's ratio is these
    groups' ratios, each weighted by its share of the standard parser's time."""
    groups: dict[str, list[bytes]] = {}
    for data in distinct:
        groups.setdefault(shape(analyze(data).detector), []).append(data)
    lines = []
    for name, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        repeated = group * max(1, min_messages // 3 // len(group))
        stdlib, ours = interleaved(runs, repeated)
        n = len(repeated)
        lines.append(
            f"  {name}: {len(group)} distinct, analyze {ours / n * 1e6:.0f} us/msg,"
            f" stdlib {stdlib / n * 1e6:.0f} us/msg, ratio {ours / stdlib:.2f}"
        )
    return lines


def classifier_cost(messages: list[bytes]) -> tuple[float, float] | None:
    """(warm, cold) classifier CPU microseconds per message.  The corpus repeats each fixture,
    so the classifier's result cache answers most calls in the main figures; real bounces
    carry unique queue ids and host names, so the cold figure is the one to expect."""
    from bouncewatch.classify import api as classify_api

    cached = getattr(classify_api, "_classify", None)
    if cached is None or not hasattr(cached, "cache_clear"):
        return None
    jobs = [
        (r.report, result.kind, result.reporting_mta)
        for result in map(analyze, messages)
        for r in result.recipients
    ]
    best_warm = best_cold = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for report, kind, mta in jobs:
            classify_api.classify(report, kind=kind, reporting_mta=mta)
        t1 = time.process_time()
        for report, kind, mta in jobs:
            cached.cache_clear()
            classify_api.classify(report, kind=kind, reporting_mta=mta)
        t2 = time.process_time()
        best_warm, best_cold = min(best_warm, t1 - t0), min(best_cold, t2 - t1)
    n = len(messages)
    return best_warm / n * 1e6, best_cold / n * 1e6


def fallback_share(messages: list[bytes]) -> str:
    """How often the flufl.bounce fallback is reached and runs its heuristics, and its CPU
    share, over one pass of `messages` (the distinct messages: each counted once).

    The fallback's step in the registry's plan is wrapped; its heuristics are counted by
    the calls to the first of flufl.bounce's detectors, which every run of them makes (a
    method of flufl.bounce's own class: counted in both builds)."""
    from flufl.bounce._scan import _DETECTORS

    from bouncewatch.parse import fallback, registry

    calls = heuristics = 0
    spent = 0.0
    first: Any = _DETECTORS[0]
    if first.__name__ in ("Qmail", "SimpleMatch", "SimpleWarning"):  # these may be skipped
        sys.exit(f"flufl.bounce runs {first.__name__} first: count its heuristics otherwise")
    process = first.process

    def timed(detect: Callable[[Message], object]) -> Callable[[Message], object]:
        def run(msg: Message) -> object:
            nonlocal calls, spent
            calls += 1
            t0 = time.process_time()
            try:
                return detect(msg)
            finally:
                spent += time.process_time() - t0

        return run

    def counted(self: Any, msg: Any) -> Any:
        nonlocal heuristics
        heuristics += 1
        return process(self, msg)

    (name,) = [d.name for d in registry.DETECTORS if isinstance(d, fallback.FluflFallback)]
    plan = registry._DEFAULT_PLAN
    registry._DEFAULT_PLAN = tuple(
        (timed(step[0]), *step[1:]) if step[1] == name else step  # type: ignore[misc]
        for step in plan
    )
    setattr(first, "process", counted)  # noqa: B010 (a method of flufl.bounce's class)
    try:
        t0 = time.process_time()
        for data in messages:
            analyze(data)
        total = time.process_time() - t0
    finally:
        setattr(first, "process", process)  # noqa: B010
        registry._DEFAULT_PLAN = plan
    n = len(messages)
    return (
        f"flufl.bounce fallback: reached by {calls} of {n} messages, heuristics run on"
        f" {heuristics}; {spent / n * 1e6:.1f} us/msg of {total / n * 1e6:.1f} us/msg"
        f" ({spent / total:.1%} of the CPU time)"
    )


def lean_fallbacks(messages: list[bytes]) -> str:
    """How many of `messages` the lean reader handed to the standard parser."""
    try:
        from bouncewatch.parse import lean
    except ImportError:  # a version without it (measuring a baseline)
        return "lean reader: none (every message through the standard parser)"

    before, read = lean.FALLBACKS, lean.READ
    for data in messages:
        analyze(data)
    return (
        f"lean reader: {lean.FALLBACKS - before} of {lean.READ - read} reads (the"
        f" {len(messages)} messages, and the reports re-read inside them) handed to the"
        " standard parser"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-messages", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print the top of a cProfile run")
    ap.add_argument("--top", type=int, default=25, help="profile entries printed (--profile)")
    ap.add_argument("--corpus", type=Path, help="a folder of .eml files instead of fixtures/")
    args = ap.parse_args()

    messages = corpus(args.min_messages, args.corpus)
    size = sum(map(len, messages))
    for data in messages[:500]:  # warm caches (regexes, classifier memo) the same for both
        analyze(data)
        email.message_from_bytes(data)

    stdlib, ours = interleaved(args.runs, messages)
    n = len(messages)
    print(f"package: {bouncewatch.BUILD}, {Path(bouncewatch.__file__).parent}")
    print(f"corpus: {n} messages ({n and size // n} bytes average), best of {args.runs} runs")
    print("CPU time, the two parsers alternating in chunks of the same messages")
    print(f"email.message_from_bytes : {n / stdlib:9,.0f} msg/s  ({stdlib:.3f} s CPU)")
    print(f"analyze (+classify): {n / ours:9,.0f} msg/s  ({ours:.3f} s CPU)")
    print(f"ratio analyze / stdlib parse: {ours / stdlib:.2f}  (target <= 1.0)")

    distinct = messages[: len(set(messages))]
    print("by shape (the same measure over each group's messages):")
    for line in by_shape(distinct, args.runs, args.min_messages):
        print(line)

    cold = classifier_cost(distinct)
    if cold is not None:
        warm_us, cold_us = cold
        print(
            f"classify share: {warm_us:.1f} us/msg with its cache warm (the repeated corpus),"
            f" {cold_us:.1f} us/msg cold (every text new, as in real mail)"
        )

    print(fallback_share(distinct))
    print(lean_fallbacks(distinct))

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for data in messages:
            analyze(data)
        prof.disable()
        stats = pstats.Stats(prof)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
