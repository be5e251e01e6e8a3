"""Times in the database: ISO 8601 UTC text, second precision, trailing Z."""

from __future__ import annotations

import email.utils
import functools
from datetime import UTC, date, datetime


@functools.lru_cache(maxsize=4096)  # the same few times recur within a message and a batch
def iso(value: datetime) -> str:
    """'2026-11-23T02:48:00Z' (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    v = value  # f-string formatting: several times faster than strftime on the hot path
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"


def from_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 5322 date text → aware UTC datetime; None when it cannot be read."""
    if not value:
        return None
    text = value.strip()
    try:
        return from_iso(text)
    except ValueError:
        pass
    try:
        dt = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def days_to_text(days: tuple[date, ...]) -> str | None:
    return ",".join(d.isoformat() for d in days) or None


def days_from_text(text: str | None) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in text.split(",")) if text else ()


def utcnow() -> datetime:
    """The one place the store layer's callers read the clock (CLI and daemon, not the policy)."""
    return datetime.now(UTC).replace(microsecond=0)
