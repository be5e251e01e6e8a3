"""Every input bounded: each pathological shape (tools/pathological.py) is parsed at n, 2n and
4n bytes, and each doubling may cost at most ~2.5 times as much (linear with some slack; a
quadratic regex costs 4 times as much per doubling).  Growth, not absolute time: the machine's
speed cancels out.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))


from pathological import SHAPES

from bouncewatch.analyze import analyze

#: sizes of the long part, in bytes
SIZES = (20_000, 40_000, 80_000)
#: the most one doubling of the input may multiply the time by
LIMIT = 2.5
#: a batch of calls is timed until it lasts this long, so that fast parses are measurable
MIN_BATCH = 0.05
#: measurements of one doubling before it is judged (a shared machine has load spikes)
ATTEMPTS = 3


_salts = itertools.count(1)


def _time_one(build: Callable[[int, int], bytes], n: int) -> float:
    """Seconds one parse of the shape at size n takes: the best of three batches of calls,
    each call on an input of its own (the parser's caches must not answer)."""
    data = build(n, next(_salts))
    start = time.perf_counter()
    analyze(data)
    first = time.perf_counter() - start
    if first > 0.2:  # slow enough to measure once (and a quadratic shape is slow)
        return first
    calls = max(1, int(MIN_BATCH / max(first, 1e-6)))
    best = first
    for _ in range(3):
        batch = [build(n, next(_salts)) for _ in range(calls)]
        start = time.perf_counter()
        for data in batch:
            analyze(data)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def _ratios(build: Callable[[int, int], bytes]) -> list[tuple[int, float, float]]:
    """(n, t(n), t(2n) / t(n)) for each doubling; stops at the first that grows too fast
    ATTEMPTS times in a row (a load spike on a shared machine passes on a later one)."""
    out = []
    previous = _time_one(build, SIZES[0])
    for small, big in itertools.pairwise(SIZES):
        current = _time_one(build, big)
        ratio = current / previous
        for _ in range(ATTEMPTS - 1):
            if ratio <= LIMIT:
                break
            previous = _time_one(build, small)
            current = _time_one(build, big)
            ratio = current / previous
        out.append((big, current, ratio))
        if ratio > LIMIT:
            break
        previous = current
    return out


@pytest.mark.parametrize("shape", list(SHAPES))
def test_parse_time_grows_linearly(shape: str) -> None:
    measured = _ratios(SHAPES[shape])
    worst = max(ratio for _, _, ratio in measured)
    assert worst <= LIMIT, (
        f"{shape}: doubling the input multiplied the parse time by {worst:.1f} "
        f"({', '.join(f'{n} bytes: {t * 1000:.1f} ms' for n, t, _ in measured)})"
    )


@pytest.mark.parametrize("shape", list(SHAPES))
def test_shape_builders_grow_with_n(shape: str) -> None:
    """The builders really make bigger inputs (a builder ignoring n would prove nothing)."""
    small, big = (len(SHAPES[shape](n)) for n in SIZES[:2])
    assert big - small >= (SIZES[1] - SIZES[0]) * 0.9
