"""One report: the rows for a bucketing, the period's totals and the findings."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bouncewatch.reports import queries as q
from bouncewatch.reports.findings import Finding, Thresholds, find_all, spike_history_days

BUCKETS = ("day", "week", "domain", "source")

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_moment(text: str, *, end: bool = False, now: datetime | None = None) -> str:
    """`YYYY-MM-DD`, an ISO date-time, or `7d` / `12h` / `2w` ago → ISO UTC instant.

    With `end`, a bare date means the end of that day (the start of the next), so
    `--until 2026-11-20` includes the 20th.
    """
    text = text.strip()
    rel = _RELATIVE.match(text)
    if rel:
        unit = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
        moment = (now or datetime.now(UTC)) - int(rel.group(1)) * unit[rel.group(2)]
        return q.iso(moment.astimezone(UTC))
    if _DATE.match(text):
        day = date.fromisoformat(text)
        return f"{day + timedelta(1) if end else day}T00:00:00Z"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date, date-time or 7d/12h/2w: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return q.iso(moment.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class Report:
    by: str
    period: q.Period
    thresholds: Thresholds
    totals: q.Stats
    rows: list[q.Stats]
    findings: list[Finding] = field(default_factory=list)

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
    )
