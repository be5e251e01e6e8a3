"""One report: the rows for a bucketing, the period's totals and the findings."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from bouncewatch import durations
from bouncewatch.reports import queries as q
from bouncewatch.reports.findings import (
    Finding,
    Thresholds,
    find_all,
    period_days,
    spike_history_days,
)

BUCKETS = ("day", "week", "domain", "source")
#: a text report over more days than this shows weekly rows unless --by day is asked for
WEEKLY_AFTER_DAYS = 92


def parse_moment(text: str, *, end: bool = False, now: datetime | None = None) -> str:
    """`durations.parse_moment` as an ISO UTC instant (the one date/duration grammar)."""
    return q.iso(durations.parse_moment(text, end=end, now=now))


@dataclass(frozen=True, slots=True)
class Report:
    by: str
    period: q.Period
    thresholds: Thresholds
    totals: q.Stats
    rows: list[q.Stats]
    findings: list[Finding] = field(default_factory=list)
    #: first and last day the period covers (clipped to the data); None for an empty database
    days: tuple[date, date] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "since": self.period.since,
            "until": self.period.until,
            "thresholds": asdict(self.thresholds),
            "totals": self.totals.as_dict(self.thresholds.limits),
            "rows": [self._row(r) for r in self.rows],
            "findings": [f.as_dict() for f in self.findings],
        }

    def _row(self, stats: q.Stats) -> dict[str, Any]:
        """A row keyed by its bucket name ("day": …, "domain": …)."""
        d = stats.as_dict(self.thresholds.limits)
        out: dict[str, Any] = {self.by: d.pop("key")}
        if self.by != "domain":
            d.pop("addresses")
        out.update(d)
        return out


def build_report(
    conn: sqlite3.Connection,
    period: q.Period,
    *,
    by: str = "day",
    thresholds: Thresholds | None = None,
    limit: int | None = None,
    findings: bool = True,
) -> Report:
    """Rows per `by` bucket ('day', 'week', 'domain', 'source'), totals, and findings."""
    if by not in BUCKETS:
        raise ValueError(f"--by must be one of {', '.join(BUCKETS)}")
    t = thresholds or Thresholds()
    if period.since and period.until and period.since >= period.until:
        raise InvertedPeriod(period)
    snap = q.Snapshot(conn, period, history_days=spike_history_days(t) if findings else 0)
    if by == "day":
        rows = snap.daily()
    elif by == "week":
        rows = snap.weekly()
    elif by == "domain":
        rows = snap.domains(limit=limit, addresses=True)
    else:
        rows = snap.sources()
    if limit and by != "domain":
        rows = rows[-limit:] if by in ("day", "week") else rows[:limit]
    return Report(
        by=by,
        period=period,
        thresholds=t,
        totals=snap.totals(),
        rows=rows,
        findings=find_all(conn, period, t, snapshot=snap) if findings else [],
        days=period_days(conn, period),
    )


class InvertedPeriod(ValueError):
    """--since at or after --until: a report of nothing is a mistake, not an empty report."""

    def __init__(self, period: q.Period) -> None:
        super().__init__(
            f"the period is empty: --since {period.since} is not before --until {period.until}"
        )


def default_bucket(conn: sqlite3.Connection, period: q.Period) -> str:
    """'day', or 'week' when the period spans more than `WEEKLY_AFTER_DAYS` days of data."""
    days = period_days(conn, period)
    if days is not None and (days[1] - days[0]).days + 1 > WEEKLY_AFTER_DAYS:
        return "week"
    return "day"
