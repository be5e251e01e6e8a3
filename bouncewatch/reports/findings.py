"""Findings: what in the numbers a sender should act on, each with the evidence behind it.

Detectors (each a function of a connection, a period and `Thresholds`):

- `rate_over`        the period's hard / soft / complaint rate is over the sender threshold
- `spike`            a day whose bounces exceed the trailing baseline by `spike_factor`
- `throttled_domain` a domain whose soft bounces are mostly rate limiting / greylisting
- `blocks_rising`    a domain whose blocks rose in the last `block_window_days`
- `bad_source`       a list source whose hard bounces are far above the other sources'
- `re_engage`        addresses soft-bouncing for `reengage_min_days` or more
"""

from __future__ import annotations

import math
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from bouncewatch.reports import queries as q
from bouncewatch.reports.episodes import soft_episodes
from bouncewatch.store.report_views import (
    COMPLAINT_LIMIT_PCT,
    HARD_LIMIT_PCT,
    SOFT_LIMIT_PCT,
    THROTTLE_REASONS,
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a detector speaks up.  Every field can be set with `report --threshold NAME=VALUE`."""

    hard_limit_pct: float = HARD_LIMIT_PCT
    soft_limit_pct: float = SOFT_LIMIT_PCT
    complaint_limit_pct: float = COMPLAINT_LIMIT_PCT
    spike_factor: float = 3.0  # day's bounces (or rate) over the median of the days before
    spike_baseline_days: int = 7  # how many days before make the baseline
    spike_min_history_days: int = 3  # fewer days of history: no baseline, no spike
    spike_min_bounces: int = 20  # a spike has at least this many bounces
    throttle_share: float = 0.5  # share of a domain's soft bounces that are rate limit/greylist
    throttle_min_soft: int = 20
    block_window_days: int = 7  # blocks in the last N days against the N days before
    block_factor: float = 2.0
    block_min: int = 10
    block_min_z: float = 3.0  # (recent - previous) / sqrt(recent + previous): not just noise
    source_factor: float = 2.0  # source's hard rate (or share) over the other sources' together
    source_min_hard: int = 10
    reengage_min_days: int = 30  # first to last soft bounce of the current episode
    reengage_min_soft: int = 3
    reengage_list: int = 50  # addresses listed in the evidence

    @property
    def limits(self) -> tuple[float, float, float]:
        """(hard, soft, complaint) rate limits, percent of messages sent."""
        return (self.hard_limit_pct, self.soft_limit_pct, self.complaint_limit_pct)

    @classmethod
    def with_overrides(cls, pairs: dict[str, str]) -> Thresholds:
        """Copy of the defaults with NAME=VALUE strings applied; unknown names raise ValueError."""
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, text in pairs.items():
            if name not in types:
                raise ValueError(f"unknown threshold {name!r} (known: {', '.join(types)})")
            values[name] = int(text) if types[name] in (int, "int") else float(text)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to act on: what, about which subject, what to do, and the numbers behind it."""

    kind: str
    subject: str
    title: str
    action: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _day(moment: str) -> date:
    return date.fromisoformat(moment[:10])


def period_days(conn: sqlite3.Connection, period: q.Period) -> tuple[date, date] | None:
    """First and last day the period covers, clipped to the data; None without data."""
    first, last = q.data_span(conn)
    if first is None or last is None:
        return None
    start = _day(period.since) if period.since else _day(first)
    if period.until:
        end = _day(period.until)
        if period.until[10:] in ("", "T00:00:00Z"):
            end -= timedelta(1)
    else:
        end = _day(last)
    return start, end


def _counted(items: list[q.Counted]) -> list[dict[str, Any]]:
    return [{"value": c.value, "count": c.count} for c in items]


def rate_over(snap: q.Snapshot, t: Thresholds) -> list[Finding]:
    total = snap.totals()
    out = []
    for name, limit in (
        ("hard", t.hard_limit_pct),
        ("soft", t.soft_limit_pct),
        ("complaint", t.complaint_limit_pct),
    ):
        pct = total.pct(getattr(total, name))
        if pct is None or pct < limit:
            continue
        out.append(
            Finding(
                "rate_over",
                name,
                f"{name} rate {pct:.2f}% is over the {limit:g}% senders keep under",
                {
                    "hard": "Clean the list: stop mailing invalid addresses (export the "
                    "suppression list) and check where new addresses come from.",
                    "soft": "Look at the soft reasons by domain: slow down where receivers "
                    "throttle, pause addresses that keep failing.",
                    "complaint": "Mail only people who asked for it; make unsubscribing easy "
                    "(List-Unsubscribe) and honour it at once.",
                }[name],
                {
                    "count": getattr(total, name),
                    "sent": total.sent,
                    "pct": round(pct, 3),
                    "limit_pct": limit,
                },
            )
        )
    return out


def spikes(snap: q.Snapshot, t: Thresholds) -> list[Finding]:
    conn, period = snap.conn, snap.period
    bounds = period_days(conn, period)
    if bounds is None:
        return []
    start, end = bounds
    first_data = _day(q.data_span(conn)[0] or str(start))
    lookback = spike_history_days(t)  # rate baselines skip days without a sent count
    history_start = max(first_data, start - timedelta(lookback))
    read_from = snap.wide.since  # the snapshot holds whole days from here on
    if read_from:
        partial = read_from[10:] != "T00:00:00Z"
        history_start = max(history_start, _day(read_from) + timedelta(int(partial)))
    rows = {s.key: s for s in snap.daily(fill=False, history=True)}
    calendar = [history_start + timedelta(n) for n in range((end - history_start).days + 1)]
    series = [rows.get(str(d), q.Stats(str(d))) for d in calendar]
    out = []
    for i, day in enumerate(series):
        if calendar[i] < start or day.bounces < t.spike_min_bounces:
            continue
        by_rate = bool(day.sent)
        if by_rate:
            # rates against the last days that sent anything (campaign days against campaign days)
            before = [b for b in series[max(0, i - lookback) : i] if b.sent][
                -t.spike_baseline_days :
            ]
        else:
            before = series[max(0, i - t.spike_baseline_days) : i]
        if len(before) < t.spike_min_history_days:
            continue
        values = [b.bounces / b.sent if by_rate else float(b.bounces) for b in before]  # type: ignore[operator]
        baseline = statistics.median(values)
        value = day.bounces / day.sent if by_rate else float(day.bounces)  # type: ignore[operator]
        ratio = value / max(baseline, 0.001 if by_rate else 1.0)
        if ratio < t.spike_factor:
            continue
        if baseline:
            usual = (
                f"{ratio:.1f}× the usual {'rate' if by_rate else 'count'} "
                f"(median of the {len(before)} {'sending ' if by_rate else ''}days before)"
            )
        else:
            usual = f"none on the {len(before)} {'sending ' if by_rate else ''}days before"
        out.append(
            Finding(
                "spike",
                day.key,
                f"{day.key}: {day.bounces:,} bounces, {usual}",
                "Find what changed that day: a new list or import, a new sending IP or "
                "domain, a provider outage. The reasons and domains below point the way.",
                {
                    "day": day.key,
                    "measure": "rate" if by_rate else "count",
                    "bounces": day.bounces,
                    "hard": day.hard,
                    "soft": day.soft,
                    "block": day.block,
                    "sent": day.sent,
                    "baseline": round(baseline, 5 if by_rate else 1),
                    "factor": round(ratio, 2),
                    "threshold_factor": t.spike_factor,
                    "baseline_days": {b.key: b.bounces for b in before},
                    "top_reasons": _counted(q.top_values(conn, "reason", period, day=day.key)),
                    "top_domains": _counted(q.top_values(conn, "domain", period, day=day.key)),
                },
            )
        )
    return out


def throttled_domains(snap: q.Snapshot, t: Thresholds) -> list[Finding]:
    conn, period = snap.conn, snap.period
    flagged = sorted(
        (
            (domain, soft, limited, grey)
            for domain, (soft, limited, grey) in snap.throttling().items()
            if soft >= t.throttle_min_soft and limited + grey >= t.throttle_share * soft
        ),
        key=lambda r: (-(r[2] + r[3]), r[0]),
    )
    where, params = period.where()
    out = []
    for domain, soft, limited, grey in flagged:
        first, last = conn.execute(
            "SELECT min(occurred_at), max(occurred_at) FROM events WHERE domain = ?"
            f" AND event_type = 'bounce' AND bounce_type = 'soft' AND {where}",
            [domain, *params],
        ).fetchone()
        share = (limited + grey) / soft
        diagnostics = q.top_values(
            conn, "diagnostic", period, domain=domain, bounce_types=("soft",)
        )
        out.append(
            Finding(
                "throttled_domain",
                domain,
                f"{domain}: {share:.0%} of {soft} soft bounces are rate limiting or greylisting",
                f"Slow down for {domain}: fewer messages per connection and per hour, "
                "retry later rather than sooner, warm up new IPs gradually.",
                {
                    "domain": domain,
                    "soft": soft,
                    "rate_limited": limited,
                    "greylisted": grey,
                    "share": round(share, 3),
                    "threshold_share": t.throttle_share,
                    "first_at": first,
                    "last_at": last,
                    "diagnostics": _counted(diagnostics),
                    "remote_mtas": _counted(
                        q.top_values(
                            conn, "remote_mta", period, domain=domain, bounce_types=("soft",)
                        )
                    ),
                },
            )
        )
    return out


def blocks_rising(snap: q.Snapshot, t: Thresholds) -> list[Finding]:
    conn, period = snap.conn, snap.period
    bounds = period_days(conn, period)
    if bounds is None:
        return []
    end = bounds[1] + timedelta(1)
    mid, start = end - timedelta(t.block_window_days), end - timedelta(2 * t.block_window_days)
    recent = q.Period(f"{mid}T00:00:00Z", f"{end}T00:00:00Z")
    sql = """
        SELECT domain,
               count(*) FILTER (WHERE occurred_at >= ?) AS recent,
               count(*) FILTER (WHERE occurred_at < ?) AS previous
        FROM events WHERE event_type = 'bounce' AND bounce_type = 'block'
          AND occurred_at >= ? AND occurred_at < ?
        GROUP BY domain HAVING recent >= ? AND recent >= ? * previous
        ORDER BY recent DESC, domain"""
    args = [
        recent.since,
        recent.since,
        f"{start}T00:00:00Z",
        recent.until,
        t.block_min,
        t.block_factor,
    ]
    out = []
    for domain, n_recent, n_previous in conn.execute(sql, args):
        z = (n_recent - n_previous) / math.sqrt(n_recent + n_previous)
        if z < t.block_min_z:
            continue
        reasons = q.top_values(
            conn, "reason", recent, domain=domain, bounce_types=("block",), limit=10
        )
        auth = sum(r.count for r in reasons if r.value == "auth_failure")
        cause = (
            "authentication (SPF/DKIM/DMARC)" if auth * 2 >= n_recent else "reputation or content"
        )
        out.append(
            Finding(
                "blocks_rising",
                domain,
                f"{domain}: {n_recent} blocks in the last {t.block_window_days} days "
                f"(previous {t.block_window_days} days: {n_previous}) — likely {cause}",
                (
                    "Check SPF, DKIM and DMARC alignment for the sending domain and IPs."
                    if auth * 2 >= n_recent
                    else "Check blocklists for the sending IPs and the provider's postmaster "
                    "tools; pause the lowest-engagement segments for this domain."
                ),
                {
                    "domain": domain,
                    "recent": n_recent,
                    "previous": n_previous,
                    "recent_window": [recent.since, recent.until],
                    "previous_window": [f"{start}T00:00:00Z", recent.since],
                    "threshold_factor": t.block_factor,
                    "z": round(z, 2),
                    "likely_cause": cause,
                    "reasons": _counted(reasons),
                    "diagnostics": _counted(
                        q.top_values(
                            conn, "diagnostic", recent, domain=domain, bounce_types=("block",)
                        )
                    ),
                    "remote_mtas": _counted(
                        q.top_values(
                            conn, "remote_mta", recent, domain=domain, bounce_types=("block",)
                        )
                    ),
                },
            )
        )
    return out


def bad_sources(snap: q.Snapshot, t: Thresholds) -> list[Finding]:
    conn, period = snap.conn, snap.period
    sources = [s for s in snap.sources() if s.bounces or s.sent]
    if len(sources) < 2:
        return []
    by_rate = all(s.sent for s in sources)
    out = []
    for s in sources:
        if s.hard < t.source_min_hard:
            continue
        others = [o for o in sources if o.key != s.key]
        base = sum(o.sent if by_rate else o.bounces for o in others)  # type: ignore[misc]
        other_metric = sum(o.hard for o in others) / base if base else 0.0
        metric = s.hard / ((s.sent if by_rate else s.bounces) or 1)
        if other_metric > 0 and metric < t.source_factor * other_metric:
            continue
        name = s.key or "(none)"
        measure = "hard rate" if by_rate else "hard share of bounces"
        out.append(
            Finding(
                "bad_source",
                name,
                f"list source {name}: {measure} {metric:.1%} against {other_metric:.1%} "
                "for the other sources",
                f"Stop importing from {name} until it is cleaned: verify its addresses, "
                "check how they were collected (purchased, scraped, old lists).",
                {
                    "source": s.key,
                    "measure": "rate" if by_rate else "share",
                    "hard": s.hard,
                    "bounces": s.bounces,
                    "sent": s.sent,
                    "value": round(metric, 4),
                    "others_value": round(other_metric, 4),
                    "threshold_factor": t.source_factor,
                    "top_reasons": _counted(_source_reasons(conn, period, s.key)),
                },
            )
        )
    return out


def _source_reasons(conn: sqlite3.Connection, period: q.Period, source: str) -> list[q.Counted]:
    where, params = period.where()
    sql = (
        "SELECT reason, count(*) AS n FROM events WHERE event_type = 'bounce'"
        f" AND bounce_type = 'hard' AND coalesce(list_source, '') = ? AND {where}"
        " GROUP BY reason ORDER BY n DESC, reason LIMIT 5"
    )
    return [q.Counted(r, n) for r, n in conn.execute(sql, [source, *params])]


def re_engage(snap: q.Snapshot, t: Thresholds) -> list[Finding]:
    found = [
        e
        for e in soft_episodes(
            snap.conn,
            snap.period,
            min_soft=t.reengage_min_soft,
            min_days=t.reengage_min_days,
            ignore_reasons=THROTTLE_REASONS,  # a domain slowing you down says nothing of the address
        )
        if e.state in (None, "active", "soft_bouncing", "suspended")
    ]
    if not found:
        return []
    reasons: dict[str, int] = {}
    for e in found:
        reasons[e.last_reason or "unknown"] = reasons.get(e.last_reason or "unknown", 0) + 1
    n = len(found)
    return [
        Finding(
            "re_engage",
            f"{n} address{'es' if n > 1 else ''}",
            f"{n} address{'es have' if n > 1 else ' has'} been soft-bouncing for "
            f"{t.reengage_min_days} days or more",
            "Send them one re-engagement message (confirm they still want your mail); "
            "suppress the ones that bounce again or don't respond.",
            {
                "addresses": n,
                "threshold_days": t.reengage_min_days,
                "threshold_soft": t.reengage_min_soft,
                "last_reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
                "listed": [asdict(e) for e in found[: t.reengage_list]],
            },
        )
    ]


def spike_history_days(t: Thresholds) -> int:
    """Days before the period the spike detector reads for its baselines."""
    return 4 * t.spike_baseline_days


DETECTORS: tuple[Callable[[q.Snapshot, Thresholds], list[Finding]], ...] = (
    rate_over,
    spikes,
    blocks_rising,
    throttled_domains,
    bad_sources,
    re_engage,
)


def find_all(
    conn: sqlite3.Connection,
    period: q.Period,
    thresholds: Thresholds | None = None,
    *,
    snapshot: q.Snapshot | None = None,
) -> list[Finding]:
    """Every finding for the period, in detector order (`snapshot`: counts already read)."""
    t = thresholds or Thresholds()
    snap = snapshot or q.Snapshot(conn, period, history_days=spike_history_days(t))
    return [f for detect in DETECTORS for f in detect(snap, t)]
