"""Report queries: plain SQL over a sqlite3 connection, returning dataclasses.

The counts use the same column definitions as the SQL views (`store/report_views.py`), but the
queries filter on `occurred_at` first so a period uses the `events(occurred_at)` index.
A `Period` is half-open: since <= occurred_at < until, both ISO UTC instants or None.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

from bouncewatch.store.report_views import (
    COMPLAINT_LIMIT_PCT,
    COUNT_COLUMNS,
    COUNTED_EVENTS,
    HARD_LIMIT_PCT,
    SOFT_LIMIT_PCT,
)

COUNT_NAMES = ("bounces", "hard", "soft", "block", "complaint", "undetermined", "delayed")
NO_SOURCE = ""
"""The list source of events that named none (as in the `sent` table)."""


@dataclass(frozen=True, slots=True)
class Period:
    """Half-open time range [since, until) of ISO UTC instants; None is open-ended."""

    since: str | None = None
    until: str | None = None

    def where(self, column: str = "occurred_at") -> tuple[str, list[str]]:
        """SQL condition (never empty) and its parameters."""
        terms, params = ["1"], []
        if self.since:
            terms.append(f"{column} >= ?")
            params.append(self.since)
        if self.until:
            terms.append(f"{column} < ?")
            params.append(self.until)
        return " AND ".join(terms), params

    def sent_days(self) -> tuple[str, list[str]]:
        """Condition on `sent.day` for the days this period covers (a partial day counts)."""
        terms, params = ["1"], []
        if self.since:
            terms.append("day >= ?")
            params.append(self.since[:10])
        if self.until:
            last = self.until[:10]
            if self.until[10:] in ("", "T00:00:00Z"):
                terms.append("day < ?")
            else:
                terms.append("day <= ?")
            params.append(last)
        return " AND ".join(terms), params


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts for one bucket (a day, a week, a domain, a list source, or everything)."""

    key: str
    bounces: int = 0
    hard: int = 0
    soft: int = 0
    block: int = 0
    complaint: int = 0
    undetermined: int = 0
    delayed: int = 0
    #: messages sent in the bucket; None where unknown (domains, days without a `sent` row)
    sent: int | None = None
    #: distinct bouncing addresses (domain buckets only)
    addresses: int | None = None

    def pct(self, count: int) -> float | None:
        """`count` per 100 messages sent, None when nothing sent is known."""
        if not self.sent:
            return None
        return 100.0 * count / self.sent

    @property
    def hard_pct(self) -> float | None:
        return self.pct(self.hard)

    @property
    def soft_pct(self) -> float | None:
        return self.pct(self.soft)

    @property
    def block_pct(self) -> float | None:
        return self.pct(self.block)

    @property
    def complaint_pct(self) -> float | None:
        return self.pct(self.complaint)

    @property
    def over(self) -> tuple[str, ...]:
        """Which sender thresholds this bucket breaks: 'hard', 'soft', 'complaint'."""
        out = []
        for name, limit in (
            ("hard", HARD_LIMIT_PCT),
            ("soft", SOFT_LIMIT_PCT),
            ("complaint", COMPLAINT_LIMIT_PCT),
        ):
            value = self.pct(getattr(self, name))
            if value is not None and value >= limit:
                out.append(name)
        return tuple(out)

    def __add__(self, other: Stats) -> Stats:
        sent = (
            None
            if self.sent is None and other.sent is None
            else (self.sent or 0) + (other.sent or 0)
        )
        values = {n: getattr(self, n) + getattr(other, n) for n in COUNT_NAMES}
        return replace(self, sent=sent, **values)

    def as_dict(self) -> dict[str, object]:
        """Plain dict with counts, rates (rounded percent) and broken thresholds."""
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("hard", "soft", "block", "complaint"):
            value = self.pct(getattr(self, name))
            out[f"{name}_pct"] = None if value is None else round(value, 3)
        out["over"] = list(self.over)
        return out


def _stats(key: str, row: sqlite3.Row | tuple, sent: int | None = None) -> Stats:
    return Stats(key, *(int(v or 0) for v in row[: len(COUNT_NAMES)]), sent=sent)


def sent_by_day(conn: sqlite3.Connection, period: Period) -> dict[str, int]:
    where, params = period.sent_days()
    sql = f"SELECT day, sum(count) FROM sent WHERE {where} GROUP BY day"
    return {day: int(n) for day, n in conn.execute(sql, params)}


def sent_by_source(conn: sqlite3.Connection, period: Period) -> dict[str, int]:
    where, params = period.sent_days()
    sql = f"SELECT source, sum(count) FROM sent WHERE {where} GROUP BY source"
    return {source: int(n) for source, n in conn.execute(sql, params)}


def by_day(conn: sqlite3.Connection, period: Period, *, fill: bool = True) -> list[Stats]:
    """One row per day with events or a sent count; with `fill`, the days between get zeros."""
    where, params = period.where()
    sql = (
        f"SELECT {COUNT_COLUMNS}, substr(occurred_at, 1, 10) AS day FROM events"
        f" WHERE {COUNTED_EVENTS} AND {where} GROUP BY day"
    )
    sent = sent_by_day(conn, period)
    rows = {r[-1]: _stats(r[-1], r) for r in conn.execute(sql, params)}
    days = set(rows) | set(sent)
    if fill and days:
        first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
        days |= {str(first + timedelta(n)) for n in range((last - first).days + 1)}
    return [replace(rows.get(d, Stats(d)), sent=sent.get(d)) for d in sorted(days)]


def week_of(day: str) -> str:
    """The Monday (YYYY-MM-DD) of the ISO week holding `day`."""
    d = date.fromisoformat(day)
    return str(d - timedelta(d.weekday()))


def by_week(conn: sqlite3.Connection, period: Period) -> list[Stats]:
    """One row per ISO week (keyed by its Monday), summed from the days."""
    weeks: dict[str, Stats] = {}
    for day in by_day(conn, period):
        key = week_of(day.key)
        weeks[key] = weeks[key] + day if key in weeks else replace(day, key=key)
    return list(weeks.values())


def by_domain(conn: sqlite3.Connection, period: Period, *, limit: int | None = None) -> list[Stats]:
    """Receiving domains, most bounces first (ties: most complaints, then name)."""
    where, params = period.where()
    sql = (
        f"SELECT {COUNT_COLUMNS}, count(DISTINCT address) FILTER (WHERE event_type = 'bounce'),"
        f" domain FROM events WHERE {COUNTED_EVENTS} AND {where} GROUP BY domain"
        " ORDER BY bounces DESC, complaint DESC, domain"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [
        replace(_stats(r[-1], r), addresses=int(r[len(COUNT_NAMES)]))
        for r in conn.execute(sql, params)
    ]


def by_source(conn: sqlite3.Connection, period: Period) -> list[Stats]:
    """List sources ('' = none named), with messages sent where known; most bounces first."""
    where, params = period.where()
    sql = (
        f"SELECT {COUNT_COLUMNS}, coalesce(list_source, '') AS source FROM events"
        f" WHERE {COUNTED_EVENTS} AND {where} GROUP BY source"
    )
    sent = sent_by_source(conn, period)
    rows = {r[-1]: _stats(r[-1], r) for r in conn.execute(sql, params)}
    out = [replace(rows.get(s, Stats(s)), sent=sent.get(s)) for s in set(rows) | set(sent)]
    return sorted(out, key=lambda s: (-s.bounces, -s.complaint, s.key))


def totals(conn: sqlite3.Connection, period: Period) -> Stats:
    """Everything in the period; `sent` is the sum of all sent counts (None if none)."""
    where, params = period.where()
    row = conn.execute(
        f"SELECT {COUNT_COLUMNS} FROM events WHERE {COUNTED_EVENTS} AND {where}", params
    ).fetchone()
    sent = sent_by_day(conn, period)
    return _stats("total", row, sent=sum(sent.values()) if sent else None)


@dataclass(frozen=True, slots=True)
class Counted:
    """A value (a reason, a diagnostic, a remote MTA) and how many events carry it."""

    value: str | None
    count: int


def top_values(
    conn: sqlite3.Connection,
    column: str,
    period: Period,
    *,
    domain: str | None = None,
    day: str | None = None,
    bounce_types: tuple[str, ...] = ("hard", "soft", "block"),
    limit: int = 5,
) -> list[Counted]:
    """Most frequent values of `column` among bounce events, optionally for one domain/day."""
    if column not in ("reason", "diagnostic", "remote_mta", "domain", "status", "list_source"):
        raise ValueError(f"not a reportable column: {column}")
    where, params = period.where()
    marks = ", ".join("?" * len(bounce_types))
    sql = f"SELECT {column}, count(*) AS n FROM events WHERE event_type = 'bounce' AND {where}"
    sql += f" AND bounce_type IN ({marks})"
    params = [*params, *bounce_types]
    if domain is not None:
        sql += " AND domain = ?"
        params.append(domain)
    if day is not None:
        sql += " AND occurred_at >= ? AND occurred_at < ?"
        params += [f"{day}T00:00:00Z", f"{date.fromisoformat(day) + timedelta(1)}T00:00:00Z"]
    if column != "diagnostic":
        sql += f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT {int(limit)}"
        return [Counted(v, int(n)) for v, n in conn.execute(sql, params)]
    # diagnostics often quote the recipient: group them with the address masked
    sql += " GROUP BY diagnostic ORDER BY n DESC LIMIT 5000"
    merged: dict[str | None, int] = {}
    for text, n in conn.execute(sql, params):
        key = mask_addresses(text)
        merged[key] = merged.get(key, 0) + int(n)
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    return [Counted(v, n) for v, n in ranked[:limit]]


_LOCAL_PART = re.compile(r"[^\s<>\"'()\[\]:;,]+(?=@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_addresses(text: str | None) -> str | None:
    """The text with the local part of every email address replaced by `*`."""
    return None if text is None else _LOCAL_PART.sub("*", text)


def data_span(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """First and last `occurred_at` of all events (None, None when there are none)."""
    row = conn.execute("SELECT min(occurred_at), max(occurred_at) FROM events").fetchone()
    return row[0], row[1]


def iso(moment: datetime) -> str:
    """A datetime as the database's ISO UTC text."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
