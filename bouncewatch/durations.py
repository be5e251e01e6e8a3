"""One grammar for durations and moments, used by the configuration and every CLI option.

A duration is one or more ``<number><unit>`` parts, units s m h d w: ``90s``, ``15m``,
``1h30m``, ``1w2d``.  A moment (``--since`` / ``--until``) is ``YYYY-MM-DD``, an ISO 8601
date-time, or a duration meaning "that long ago".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

EXAMPLES = '"90s", "15m", "1h30m", "14d", "1w2d"'


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '1h30m', '1w2d' → timedelta; ValueError for anything else."""
    value = text.strip().lower()
    pos, seconds = 0, 0
    for m in _PART.finditer(value):
        if value[pos : m.start()].strip():
            break
        seconds += int(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not value or pos == 0 or value[pos:].strip():
        raise ValueError(f"invalid duration {text!r} (use e.g. {EXAMPLES})")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest single-unit text for `value` ('14d', '90m', '45s')."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_moment(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """`YYYY-MM-DD`, an ISO date-time, or a duration ago (`7d`, `1h30m`) → aware UTC datetime.

    With `end`, a bare date means the end of that day (the start of the next), so
    ``--until 2026-11-20`` includes the 20th.  ValueError names what is accepted.
    """
    value = text.strip()
    try:
        return (now or datetime.now(UTC)).astimezone(UTC) - parse_duration(value)
    except ValueError:
        pass
    if _DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a valid date: {text!r}") from None
        return datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time(), UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a date (2026-11-01), date-time (2026-11-01T10:00:00Z) "
            f"or duration ago ({EXAMPLES}): {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


__all__ = ["EXAMPLES", "format_duration", "parse_duration", "parse_moment"]
