"""parse.headers.iso_date: RFC 5322 dates as ISO 8601 UTC.  The conversion is integer
arithmetic on the fields; it must give what `datetime` gives for every date of the usual
shape -- offsets that cross a day, a month, a year; invalid days, hours and years refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.parse.headers import iso_date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def reference(
    day: int, month: int, year: int, hh: int, mm: int, ss: int, offset: int
) -> str | None:
    """The date through `datetime`, as a reader without shortcuts would convert it."""
    try:
        when = datetime(year, month, day, hh, mm, ss, tzinfo=UTC) - timedelta(minutes=offset)
    except (ValueError, OverflowError):
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")


@settings(max_examples=2000, deadline=None)
@given(
    day=st.integers(0, 99),
    month=st.integers(1, 12),
    year=st.sampled_from([0, 1, 1999, 2000, 2023, 2024, 2100, 9999]),
    hh=st.integers(0, 25),
    mm=st.integers(0, 61),
    ss=st.integers(0, 61),
    sign=st.sampled_from("+-"),
    off_h=st.integers(0, 99),
    off_m=st.integers(0, 99),
    weekday=st.booleans(),
)
def test_same_as_datetime(
    day: int,
    month: int,
    year: int,
    hh: int,
    mm: int,
    ss: int,
    sign: str,
    off_h: int,
    off_m: int,
    weekday: bool,
) -> None:
    value = (
        f"{'Tue, ' if weekday else ''}{day} {MONTHS[month - 1]} {year:04d} "
        f"{hh:02d}:{mm:02d}:{ss:02d} {sign}{off_h:02d}{off_m:02d}"
    )
    offset = (off_h * 60 + off_m) * (-1 if sign == "-" else 1)
    assert iso_date(value) == reference(day, month, year, hh, mm, ss, offset), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 14 May 2024 09:58:15 +0900", "2024-05-14T00:58:15Z"),
        ("Tue, 14 May 2024 01:58:15 +0900", "2024-05-13T16:58:15Z"),
        ("Wed, 1 Jan 2025 03:00:00 +0400", "2024-12-31T23:00:00Z"),
        ("Sat, 31 Dec 2022 22:30:00 -0200", "2023-01-01T00:30:00Z"),
        ("29 Feb 2024 12:00:00 -0700 (PDT)", "2024-02-29T19:00:00Z"),
        ("29 Feb 2023 12:00:00 +0000", None),  # no such day
        ("31 Apr 2024 12:00:00 +0100", None),
        ("1 Jan 0001 00:30:00 +0100", None),  # before year 1
        ("31 Dec 9999 23:30:00 -0100", None),  # past year 9999
        ("14 May 2024 24:00:00 +0000", None),
        (
            "14 May 2024 9:5:15 +0000",
            "2024-05-14T09:05:15Z",
        ),  # not the usual shape: the stdlib reads it
        ("14 May 2024 09:58 GMT", "2024-05-14T09:58:00Z"),
    ],
)
def test_examples(value: str, expected: str | None) -> None:
    assert iso_date(value) == expected
