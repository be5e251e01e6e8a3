"""Every input bounded: each pathological shape (tools/pathological.py) is parsed at n, 2n and
4n bytes, and a doubling may cost at most ~2.5 times as much, on average over the two (linear
with some slack; a quadratic regex costs 4 times as much per doubling).  Growth, not absolute
time: the machine's speed cancels out.  The time is the process's CPU time, so other programs
on a busy machine do not land in one size's time or another's.
"""

from __future__ import annotations

import gc
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))


from pathological import SHAPES

from bouncewatch import gcpause
from bouncewatch.analyze import analyze

#: sizes of the long part, in bytes
SIZES = (20_000, 40_000, 80_000)
#: the most one doubling of the input may multiply the time by
LIMIT = 2.5
#: a batch of calls is timed until it lasts this long, so that fast parses are measurable
MIN_BATCH = 0.05
#: rounds of measurements of one doubling, the best of each size kept
ROUNDS = 5


_salts = itertools.count(1)


def _batch(build: Callable[[int, int], bytes], n: int, calls: int) -> float:
    """Seconds per parse over `calls` inputs of size n, each of its own (the parser's caches
    must not answer)."""
    inputs = [build(n, next(_salts)) for _ in range(calls)]
    gc.collect()
    # a collection scanning what the suite has made so far (its cost grows with the tests run
    # before, not with n) would land in one size's time or another's
    with gcpause.paused():
        start = time.process_time()
        for data in inputs:
            analyze(data)
        return (time.process_time() - start) / calls


def _times(build: Callable[[int, int], bytes]) -> list[float]:
    """Seconds per parse at each of SIZES: the sizes timed in turn, ROUNDS times, the best of
    each kept (a load spike on a shared machine hits one round, not the best)."""
    first = _batch(build, SIZES[0], 1)
    calls = max(1, int(MIN_BATCH / max(first, 1e-6)))
    rounds = 1 if first > 0.2 else ROUNDS  # slow enough to measure once (a quadratic shape is)
    best = [float("inf")] * len(SIZES)
    for _ in range(rounds):
        for i, n in enumerate(SIZES):
            best[i] = min(best[i], _batch(build, n, calls))
            if rounds == 1 and i and best[i] / best[i - 1] > LIMIT * LIMIT:
                return best[: i + 1]  # clearly not linear: no need to wait for 4n
    return best


@pytest.mark.parametrize("shape", list(SHAPES))
def test_parse_time_grows_linearly(shape: str) -> None:
    times = _times(SHAPES[shape])
    doublings = len(times) - 1
    growth = (times[-1] / times[0]) ** (1 / doublings)  # per doubling, on average
    steps = ", ".join(f"{n} bytes: {t * 1000:.1f} ms" for n, t in zip(SIZES, times, strict=False))
    assert growth <= LIMIT, (
        f"{shape}: doubling the input multiplied the parse time by {growth:.1f} ({steps})"
    )


@pytest.mark.parametrize("shape", list(SHAPES))
def test_shape_builders_grow_with_n(shape: str) -> None:
    """The builders really make bigger inputs (a builder ignoring n would prove nothing)."""
    small, big = (len(SHAPES[shape](n)) for n in SIZES[:2])
    assert big - small >= (SIZES[1] - SIZES[0]) * 0.9


#: the message reader alone (parse.lean), at sizes where a rescan per part would show: its
#: searches run in C, so a quadratic one hides under the decoders' time at SIZES
READER_SIZES = (200_000, 400_000, 800_000)


@pytest.mark.parametrize("shape", ["dsn_blocks_with_bodies"])
def test_the_message_reader_grows_linearly(shape: str) -> None:
    from bouncewatch.parse.lean import read_message

    build = SHAPES[shape]
    best = [float("inf")] * len(READER_SIZES)
    inputs = [[build(n, next(_salts)) for n in READER_SIZES] for _ in range(5)]
    gc.collect()
    # the reader's own growth: a collection scanning the objects made so far would land in one
    # size's time or another's at random
    with gcpause.paused():
        for row in inputs:
            for i, data in enumerate(row):
                start = time.process_time()
                read_message(data)
                best[i] = min(best[i], time.process_time() - start)
    growth = (best[-1] / best[0]) ** (1 / (len(READER_SIZES) - 1))
    assert growth <= LIMIT, f"{shape}: doubling the input multiplied the read time by {growth:.1f}"


def test_the_fallback_reads_a_long_line_around_an_address_in_linear_time() -> None:
    """The fallback's "reason: address" reading tried every blank of a long line as the
    reason's (quadratic): a 23 KB header line of addresses took 1.9 s."""
    from bouncewatch.parse.fallback import _near

    def line(n: int) -> str:
        return "Delivery failed " + "a@b.c, " * (n // 7) + "\nmore\n"

    best = [float("inf")] * 3
    for _ in range(3):
        for i, n in enumerate((4_000, 8_000, 16_000)):
            text = line(n)
            start = time.process_time()
            _near("a@b.c", "failed", text)
            best[i] = min(best[i], time.process_time() - start)
    growth = (best[-1] / best[0]) ** 0.5
    assert growth <= LIMIT, f"doubling the line multiplied the time by {growth:.1f}"
