"""The `addresses` rows: reading an address's state, writing it back after a decision, and
the decisions time alone takes (expiry) -- each change recorded in `state_changes`."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import Any, Protocol

from bouncewatch.store.addresses import OwnAddresses
from bouncewatch.store.policy import AddressStatus, Change, Decision, PolicyConfig, expire
from bouncewatch.store.timefmt import days_from_text, days_to_text, from_iso, iso
from bouncewatch.trust.settings import TrustConfig


class Store(Protocol):
    """What recording needs of the store (`database.Store` has it): the open connection, the
    address policy, the VERP pattern, the sender's own addresses and what [trust] needs."""

    conn: sqlite3.Connection
    policy: PolicyConfig
    verp: re.Pattern[str] | None
    own: OwnAddresses
    trust: TrustConfig
    verp_secrets: tuple[bytes, ...]


ADDRESS_COLUMNS = (
    "state, state_since, suspended_until, hard_count, soft_count, block_count, suspensions, "
    "soft_since, soft_days, last_soft_day, hard_pending_since, first_seen_at, last_seen_at"
)

UPSERT_ADDRESS = """
INSERT INTO addresses (address, domain, state, state_since, suspended_until, hard_count,
                       soft_count, block_count, consecutive_soft, suspensions, soft_since,
                       last_soft_day, soft_days, hard_pending_since, last_event_id, last_reason,
                       last_status, first_seen_at, last_seen_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(address) DO UPDATE SET
    state = excluded.state, state_since = excluded.state_since,
    suspended_until = excluded.suspended_until, hard_count = excluded.hard_count,
    soft_count = excluded.soft_count, block_count = excluded.block_count,
    consecutive_soft = excluded.consecutive_soft, suspensions = excluded.suspensions,
    soft_since = excluded.soft_since, last_soft_day = excluded.last_soft_day,
    soft_days = excluded.soft_days, hard_pending_since = excluded.hard_pending_since,
    last_event_id = excluded.last_event_id,
    last_reason = coalesce(excluded.last_reason, addresses.last_reason),
    last_status = CASE WHEN excluded.last_reason IS NULL THEN addresses.last_status
                       ELSE excluded.last_status END,
    last_seen_at = max(addresses.last_seen_at, excluded.last_seen_at)"""

INSERT_CHANGE = """
INSERT INTO state_changes (address, from_state, to_state, event_id, rule, note, changed_at)
VALUES (?, ?, ?, ?, ?, ?, ?)"""


def load(conn: object, address: str) -> tuple[AddressStatus | None, str | None]:
    row = conn.execute(  # type: ignore[attr-defined]
        f"SELECT {ADDRESS_COLUMNS} FROM addresses WHERE address = ?", (address,)
    ).fetchone()
    if row is None:
        return None, None
    return status_from_row(row), row[11]


def status_from_row(row: tuple[Any, ...]) -> AddressStatus:
    """A row selected with ADDRESS_COLUMNS → AddressStatus."""
    last_soft = row[9]
    return AddressStatus(
        state=row[0],
        since=from_iso(row[1]),
        suspended_until=from_iso(row[2]),
        hard_count=row[3],
        soft_count=row[4],
        block_count=row[5],
        suspensions=row[6],
        soft_since=from_iso(row[7]),
        soft_days=days_from_text(row[8]),
        last_soft_day=days_from_text(last_soft)[0] if last_soft else None,
        hard_pending_since=from_iso(row[10]),
    )


def address_row(
    address: str,
    domain: str,
    st: AddressStatus,
    event_id: int | None,
    explanation: tuple[str | None, str | None],
    first_seen: str,
    last_seen: str,
) -> tuple[object, ...]:
    """The parameters of UPSERT_ADDRESS for an address's state after an event."""
    return (
        address,
        domain,
        st.state,
        iso(st.since) if st.since else first_seen,
        iso(st.suspended_until) if st.suspended_until else None,
        st.hard_count,
        st.soft_count,
        st.block_count,
        len(st.soft_days),
        st.suspensions,
        iso(st.soft_since) if st.soft_since else None,
        st.last_soft_day.isoformat() if st.last_soft_day else None,
        days_to_text(st.soft_days),
        iso(st.hard_pending_since) if st.hard_pending_since else None,
        event_id,
        explanation[0],
        explanation[1],
        first_seen,
        last_seen,
    )


def write_decision(
    store: Store, address: str, decision: Decision, note: str | None = None
) -> tuple[Change, ...]:
    """Persist a decision taken without an event (expiry, manual reset)."""
    conn = store.conn
    st = decision.status
    conn.execute(
        "UPDATE addresses SET state = ?, state_since = ?, suspended_until = ?, "
        "consecutive_soft = ?, suspensions = ?, soft_since = ?, soft_days = ?, "
        "hard_pending_since = ? WHERE address = ?",
        (
            st.state,
            iso(st.since) if st.since else None,
            iso(st.suspended_until) if st.suspended_until else None,
            len(st.soft_days),
            st.suspensions,
            iso(st.soft_since) if st.soft_since else None,
            days_to_text(st.soft_days),
            iso(st.hard_pending_since) if st.hard_pending_since else None,
            address,
        ),
    )
    for ch in decision.changes:
        conn.execute(
            INSERT_CHANGE, (address, ch.from_state, ch.to_state, None, ch.rule, note, iso(ch.at))
        )
    return decision.changes


def expire_all(store: Store, now: datetime) -> list[tuple[str, Change]]:
    """Apply the passage of time to every address it concerns (the daemon calls this)."""
    horizon = (now - store.policy.soft_window).date().isoformat()
    rows = store.conn.execute(
        f"SELECT address, {ADDRESS_COLUMNS} FROM addresses "
        "WHERE (state = 'suspended' AND suspended_until <= ?) "
        "   OR (state = 'soft_bouncing' AND (last_soft_day IS NULL OR last_soft_day <= ?))",
        (iso(now), horizon),
    ).fetchall()
    done: list[tuple[str, Change]] = []
    for row in rows:
        decision = expire(status_from_row(row[1:]), now, store.policy)
        if decision.changes:
            done.extend((row[0], ch) for ch in write_decision(store, row[0], decision))
    return done
