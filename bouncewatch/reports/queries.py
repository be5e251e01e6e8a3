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
    COUNTED_EVENTS,
    HARD_LIMIT_PCT,
    SOFT_LIMIT_PCT,
)
from bouncewatch.store.timefmt import iso

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

    def day_range(self) -> tuple[str | None, str | None]:
        """The first day the period touches and the day after its last (YYYY-MM-DD)."""
        first = self.since[:10] if self.since else None
        end = None
        if self.until:
            last = date.fromisoformat(self.until[:10])
            end = str(last if self.until[10:] in ("", "T00:00:00Z") else last + timedelta(1))
        return first, end

    def describe(self) -> str:
        """The range as asked, for people: whole days as dates (the last day included)."""
        if not (self.since or self.until):
            return "all history"

        def moment(value: str | None, end: bool) -> str:
            if value is None:
                return "the first event" if not end else "now"
            if value[10:] not in ("", "T00:00:00Z"):
                return value
            return str(date.fromisoformat(value[:10]) - timedelta(1)) if end else value[:10]

        return f"{moment(self.since, False)} to {moment(self.until, True)}"

    def has_day(self, day: str) -> bool:
        """Whether the period touches `day` (a partial day counts)."""
        first, end = self.day_range()
        return (first is None or day >= first) and (end is None or day < end)

    def sent_days(self) -> tuple[str, list[str]]:
        """Condition on `sent.day` for the days this period touches."""
        first, end = self.day_range()
        terms, params = ["1"], []
        if first:
            terms.append("day >= ?")
            params.append(first)
        if end:
            terms.append("day < ?")
            params.append(end)
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
        """Which sender thresholds (the defaults) this bucket breaks."""
        return self.over_limits(HARD_LIMIT_PCT, SOFT_LIMIT_PCT, COMPLAINT_LIMIT_PCT)

    def over_limits(self, hard: float, soft: float, complaint: float) -> tuple[str, ...]:
        """Which of 'hard', 'soft', 'complaint' reach their limit (percent of sent)."""
        out = []
        for name, limit in (("hard", hard), ("soft", soft), ("complaint", complaint)):
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

    def as_dict(self, limits: tuple[float, float, float] | None = None) -> dict[str, object]:
        """Plain dict with counts, rates (rounded percent) and the thresholds broken (against
        `limits` = hard, soft, complaint percent; default: the usual ones)."""
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("hard", "soft", "block", "complaint"):
            value = self.pct(getattr(self, name))
            out[f"{name}_pct"] = None if value is None else round(value, 3)
        out["over"] = list(self.over_limits(*limits) if limits else self.over)
        return out


def sent_by_day(conn: sqlite3.Connection, period: Period) -> dict[str, int]:
    where, params = period.sent_days()
    sql = f"SELECT day, sum(count) FROM sent WHERE {where} GROUP BY day"
    return {day: int(n) for day, n in conn.execute(sql, params)}


def sent_by_source(conn: sqlite3.Connection, period: Period) -> dict[str, int]:
    where, params = period.sent_days()
    sql = f"SELECT source, sum(count) FROM sent WHERE {where} GROUP BY source"
    return {source: int(n) for source, n in conn.execute(sql, params)}


def week_of(day: str) -> str:
    """The Monday (YYYY-MM-DD) of the ISO week holding `day`."""
    d = date.fromisoformat(day)
    return str(d - timedelta(d.weekday()))


def by_day(conn: sqlite3.Connection, period: Period, *, fill: bool = True) -> list[Stats]:
    """One row per day with events or a sent count; with `fill`, the days between get zeros."""
    return Snapshot(conn, period).daily(fill=fill)


def by_week(conn: sqlite3.Connection, period: Period) -> list[Stats]:
    """One row per ISO week (keyed by its Monday), summed from the days."""
    return Snapshot(conn, period).weekly()


def by_domain(conn: sqlite3.Connection, period: Period, *, limit: int | None = None) -> list[Stats]:
    """Receiving domains, most bounces first (ties: most complaints, then name)."""
    return Snapshot(conn, period).domains(limit=limit, addresses=True)


def by_source(conn: sqlite3.Connection, period: Period) -> list[Stats]:
    """List sources ('' = none named), with messages sent where known; most bounces first."""
    return Snapshot(conn, period).sources()


def totals(conn: sqlite3.Connection, period: Period) -> Stats:
    """Everything in the period; `sent` is the sum of all sent counts (None if none)."""
    return Snapshot(conn, period).totals()


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


@dataclass(frozen=True, slots=True)
class ReasonCount:
    reason: str
    bounce_type: str
    count: int


def by_reason(conn: sqlite3.Connection, period: Period) -> list[ReasonCount]:
    """Bounces and complaints of the period per (reason, bounce type), most frequent first."""
    where, params = period.where()
    sql = (
        "SELECT coalesce(reason, 'unknown'), coalesce(bounce_type, 'undetermined'), count(*) AS n"
        f" FROM events WHERE event_type IN ('bounce', 'complaint') AND {where}"
        " GROUP BY 1, 2 ORDER BY n DESC, 1"
    )
    return [ReasonCount(r, t, int(n)) for r, t, n in conn.execute(sql, params)]


@dataclass(frozen=True, slots=True)
class Suppression:
    address: str
    state: str
    at: str
    rule: str
    reason: str | None
    status: str | None


SUPPRESSING_STATES = ("invalid", "complained", "suspended")


def new_suppressions(
    conn: sqlite3.Connection, period: Period, *, limit: int = 100
) -> tuple[int, list[Suppression]]:
    """Addresses that entered a suppressing state in the period: (how many, the latest `limit`)."""
    where, params = period.where("c.changed_at")
    base = (
        "FROM state_changes c LEFT JOIN events e ON e.id = c.event_id"
        f" WHERE c.to_state IN {SUPPRESSING_STATES} AND {where}"
    )
    (total,) = conn.execute(f"SELECT count(*) {base}", params).fetchone()
    rows = conn.execute(
        "SELECT c.address, c.to_state, c.changed_at, c.rule, e.reason, e.status"
        f" {base} ORDER BY c.changed_at DESC, c.id DESC LIMIT ?",
        [*params, limit],
    )
    return int(total), [Suppression(*r) for r in rows]


_LOCAL_PART = re.compile(r"[^\s<>\"'()\[\]:;,]+(?=@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_addresses(text: str | None) -> str | None:
    """The text with the local part of every email address replaced by `*`."""
    return None if text is None else _LOCAL_PART.sub("*", text)


def data_span(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """First and last `occurred_at` of all events (None, None when there are none)."""
    # two subqueries: each is one index seek, where min() and max() together scan the index
    row = conn.execute(
        "SELECT (SELECT min(occurred_at) FROM events), (SELECT max(occurred_at) FROM events)"
    ).fetchone()
    return row[0], row[1]


# --- one scan per kind of bucket, shared by the report, the page and the findings ---------------


def _fold(acc: list[int], event_type: str, bounce_type: str, n: int) -> None:
    """Add `n` events of one type to counts in COUNT_NAMES order (as COUNT_COLUMNS counts)."""
    if event_type == "bounce" and bounce_type != "complaint":
        acc[0] += n
        acc[_TYPE_SLOT.get(bounce_type, 5)] += n
    if event_type == "complaint" or bounce_type == "complaint":
        acc[4] += n
    if event_type == "delayed":
        acc[6] += n


_TYPE_SLOT = {"hard": 1, "soft": 2, "block": 3}


def _zero() -> list[int]:
    return [0] * len(COUNT_NAMES)


def _add_into(acc: list[int], other: list[int]) -> None:
    for i, v in enumerate(other):
        acc[i] += v


class Snapshot:
    """The counts of one period, each kind computed by a single scan when first asked for.

    `history_days` more days before `since` are read with the days (for the spike baselines),
    in the same scan: rows carry whether they fall inside the period.
    """

    def __init__(self, conn: sqlite3.Connection, period: Period, *, history_days: int = 0) -> None:
        self.conn = conn
        self.period = period
        self.history_days = history_days
        self._cells: dict[tuple[str, str, bool], list[int]] | None = None
        self._domains: dict[str, list[int]] | None = None
        self._throttle: dict[str, list[int]] = {}
        self._sent_days: dict[str, int] | None = None

    @property
    def wide(self) -> Period:
        """The period with the history days added before it."""
        if not self.period.since or not self.history_days:
            return self.period
        start = datetime.strptime(self.period.since, "%Y-%m-%dT%H:%M:%SZ")
        return Period(iso(start - timedelta(self.history_days)), self.period.until)

    def _grid(self) -> dict[tuple[str, str, bool], list[int]]:
        if self._cells is None:
            where, params = self.wide.where()
            inside = "occurred_at >= ?" if self.period.since else "1"
            sql = (
                "SELECT substr(occurred_at, 1, 10) AS day, coalesce(list_source, '') AS source,"
                f" event_type, bounce_type, {inside} AS inside, count(*) FROM events"
                f" WHERE {COUNTED_EVENTS} AND {where}"
                " GROUP BY day, source, event_type, bounce_type, inside"
            )
            args = [self.period.since] if self.period.since else []
            cells: dict[tuple[str, str, bool], list[int]] = {}
            for day, source, etype, btype, is_in, n in self.conn.execute(sql, [*args, *params]):
                _fold(cells.setdefault((day, source, bool(is_in)), _zero()), etype, btype, n)
            self._cells = cells
        return self._cells

    def _sent(self) -> dict[str, int]:
        if self._sent_days is None:
            self._sent_days = sent_by_day(self.conn, self.wide)
        return self._sent_days

    def daily(self, *, fill: bool = True, history: bool = False) -> list[Stats]:
        """Days of the period (with `history`, also the days before it), with messages sent."""
        days: dict[str, list[int]] = {}
        for (day, _source, inside), acc in self._grid().items():
            if inside or history:
                _add_into(days.setdefault(day, _zero()), acc)
        scope = self.wide if history else self.period
        sent = {d: n for d, n in self._sent().items() if scope.has_day(d)}
        keys = set(days) | set(sent)
        if fill and keys:
            first, last = date.fromisoformat(min(keys)), date.fromisoformat(max(keys))
            keys |= {str(first + timedelta(n)) for n in range((last - first).days + 1)}
        return [Stats(d, *days.get(d, _zero()), sent=sent.get(d)) for d in sorted(keys)]  # type: ignore[misc]

    def weekly(self) -> list[Stats]:
        weeks: dict[str, Stats] = {}
        for day in self.daily():
            key = week_of(day.key)
            weeks[key] = weeks[key] + day if key in weeks else replace(day, key=key)
        return list(weeks.values())

    def sources(self) -> list[Stats]:
        acc: dict[str, list[int]] = {}
        for (_day, source, inside), counts in self._grid().items():
            if inside:
                _add_into(acc.setdefault(source, _zero()), counts)
        sent = sent_by_source(self.conn, self.period)
        out = [Stats(s, *acc.get(s, _zero()), sent=sent.get(s)) for s in set(acc) | set(sent)]  # type: ignore[misc]
        return sorted(out, key=lambda s: (-s.bounces, -s.complaint, s.key))

    def totals(self) -> Stats:
        acc = _zero()
        for (_day, _source, inside), counts in self._grid().items():
            if inside:
                _add_into(acc, counts)
        sent = [n for d, n in self._sent().items() if self.period.has_day(d)]
        return Stats("total", *acc, sent=sum(sent) if sent else None)  # type: ignore[misc]

    def _domain_scan(self) -> dict[str, list[int]]:
        if self._domains is None:
            where, params = self.period.where()
            sql = (
                "SELECT domain, event_type, bounce_type,"
                " CASE WHEN bounce_type = 'soft' AND reason IN ('rate_limited', 'greylisted')"
                " THEN reason END AS throttle, count(*)"
                f" FROM events WHERE {COUNTED_EVENTS} AND {where}"
                # +domain: scan in table or covering-index order, not through events(domain)
                # with a table lookup per row
                " GROUP BY +domain, event_type, bounce_type, throttle"
            )
            domains: dict[str, list[int]] = {}
            for domain, etype, btype, soft_reason, n in self.conn.execute(sql, params):
                _fold(domains.setdefault(domain, _zero()), etype, btype, n)
                if etype == "bounce" and btype == "soft":
                    throttle = self._throttle.setdefault(domain, [0, 0, 0])
                    throttle[0] += n
                    if soft_reason == "rate_limited":
                        throttle[1] += n
                    elif soft_reason == "greylisted":
                        throttle[2] += n
            self._domains = domains
        return self._domains

    def domains(self, *, limit: int | None = None, addresses: bool = False) -> list[Stats]:
        """Receiving domains, most bounces first; `addresses` adds distinct bouncing addresses
        (one more scan)."""
        rows = sorted(
            (Stats(d, *acc) for d, acc in self._domain_scan().items()),
            key=lambda s: (-s.bounces, -s.complaint, s.key),
        )[: limit or None]
        if not addresses:
            return rows
        where, params = self.period.where()
        sql = (
            "SELECT domain, count(DISTINCT address) FROM events"
            f" WHERE event_type = 'bounce' AND {where} GROUP BY +domain"
        )
        distinct = dict(self.conn.execute(sql, params).fetchall())
        return [replace(r, addresses=int(distinct.get(r.key, 0))) for r in rows]

    def throttling(self) -> dict[str, tuple[int, int, int]]:
        """domain -> (soft bounces, of which rate_limited, of which greylisted)."""
        self._domain_scan()
        return {d: (t[0], t[1], t[2]) for d, t in self._throttle.items()}
