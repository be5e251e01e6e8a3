"""Soft-bounce episodes: how long an address has been soft-bouncing without a break.

An episode is the run of soft bounces of one address since its last hard bounce, complaint or
delivered notice.  Found in two steps so a large history is read once: one scan groups the soft
bounces per address and keeps those that could qualify; then each candidate's last break is
looked up through the `events(address, occurred_at)` index and its episode recounted.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bouncewatch.reports.queries import Period

BREAKS = "(event_type IN ('delivered', 'complaint') OR bounce_type IN ('hard', 'complaint'))"


@dataclass(frozen=True, slots=True)
class Episode:
    address: str
    soft: int
    first_at: str
    last_at: str
    last_reason: str | None
    state: str | None  # from `addresses`, None when the store has no row for it


def soft_episodes(
    conn: sqlite3.Connection,
    period: Period,
    *,
    min_soft: int,
    min_days: float,
    ignore_reasons: tuple[str, ...] = (),
) -> list[Episode]:
    """Episodes of at least `min_soft` soft bounces spanning `min_days`, still going on in the
    period (last soft bounce at or after `since`), as of `until`; oldest first."""
    until = period.until or "9999"
    marks = ", ".join("?" * len(ignore_reasons)) or "NULL"
    soft = f"event_type = 'bounce' AND bounce_type = 'soft' AND reason NOT IN ({marks})"
    qualifies = "count(*) >= ? AND julianday(max(occurred_at)) - julianday(min(occurred_at)) >= ?"
    sql = (
        f"SELECT address FROM events WHERE {soft} AND occurred_at < ?"
        f" GROUP BY +address HAVING {qualifies} AND max(occurred_at) >= ?"
    )
    args = [*ignore_reasons, until, min_soft, min_days, period.since or ""]
    # (+address: not through events(address), which would cost a table lookup per row)
    candidates = [r[0] for r in conn.execute(sql, args)]
    out = []
    for address in candidates:
        (since_break,) = conn.execute(
            f"SELECT max(occurred_at) FROM events WHERE address = ? AND occurred_at < ? AND {BREAKS}",
            (address, until),
        ).fetchone()
        n, first, last, days = conn.execute(
            "SELECT count(*), min(occurred_at), max(occurred_at),"
            " julianday(max(occurred_at)) - julianday(min(occurred_at)) FROM events"
            f" WHERE address = ? AND occurred_at > ? AND occurred_at < ? AND {soft}",
            (address, since_break or "", until, *ignore_reasons),
        ).fetchone()
        if n < min_soft or days < min_days:
            continue
        (reason,) = conn.execute(
            "SELECT reason FROM events WHERE address = ? AND occurred_at = ?"
            " AND bounce_type = 'soft' ORDER BY id DESC LIMIT 1",
            (address, last),
        ).fetchone()
        state = conn.execute("SELECT state FROM addresses WHERE address = ?", (address,)).fetchone()
        out.append(Episode(address, n, first, last, reason, state[0] if state else None))
    return sorted(out, key=lambda e: (e.first_at, e.address))
