"""Reading the store: one address's story, the suppression list, and manual resets."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bouncewatch.errors import StoreError
from bouncewatch.smtp.address import normalise
from bouncewatch.store.address_rows import ADDRESS_COLUMNS, status_from_row, write_decision
from bouncewatch.store.policy import Change, manual_reset

if TYPE_CHECKING:
    from bouncewatch.store.database import Store

EXPORT_COLUMNS = ("address", "domain", "state", "since", "reason", "status", "suspended_until")


def canonical(store: Store, address: str) -> str:
    return normalise(address, fold_local_part=store.policy.fold_local_part)[0]


def address_story(store: Store, address: str) -> dict[str, Any] | None:
    """The state of one address and the history behind it, oldest first (None: never seen)."""
    db = store.db
    key = canonical(store, address)
    rows = list(db.query("SELECT * FROM addresses WHERE address = ?", [key]))
    events = list(
        db.query(
            """SELECT e.id, e.occurred_at AS at, e.event_type, e.bounce_type, e.reason, e.status,
                  e.smtp_code, e.diagnostic, e.remote_mta, e.reporting_mta, e.action,
                  e.list_source, e.rule, e.detector, e.counted, e.trusted, e.trust,
                  m.id AS message_row, m.source, m.message_id, m.original_message_id, m.subject
           FROM events e JOIN messages m ON m.id = e.message_id
           WHERE e.address = ? ORDER BY e.occurred_at, e.id""",
            [key],
        )
    )
    if not rows and not events:
        return None
    # an address named only by bounces that were not trusted: still active, nothing counted
    story = dict(rows[0]) if rows else _untrusted_only(key, events)
    changes = db.query(
        """SELECT id, changed_at AS at, from_state, to_state, event_id, rule, note
           FROM state_changes WHERE address = ? ORDER BY changed_at, id""",
        [key],
    )
    history: list[dict[str, Any]] = [{"type": "event", **e} for e in events]
    history += [{"type": "change", **c} for c in changes]
    # events first at equal times: the change an event caused follows it
    history.sort(key=lambda h: (h["at"], h["type"] == "change", h["id"]))
    story["history"] = history
    return story


def _untrusted_only(address: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = events[0]["at"], events[-1]["at"]
    return {
        "address": address,
        "domain": address.rpartition("@")[2],
        "state": "active",
        "state_since": first,
        "suspended_until": None,
        "hard_count": 0,
        "soft_count": 0,
        "block_count": 0,
        "last_reason": None,
        "last_status": None,
        "first_seen_at": first,
        "last_seen_at": last,
    }


def suppression_list(
    store: Store, *, states: tuple[str, ...] = (), since: str | None = None
) -> list[dict[str, Any]]:
    """The suppressed view (or the addresses in `states`), optionally changed since a time."""
    where: list[str] = []
    params: list[Any] = []
    if states:
        sql = (
            "SELECT address, domain, state, state_since AS since, last_reason AS reason, "
            "last_status AS status, suspended_until FROM addresses"
        )
        where.append(f"state IN ({', '.join('?' for _ in states)})")
        params.extend(states)
    else:
        sql = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM suppressed"
    if since:
        where.append(("state_since" if states else "since") + " >= ?")
        params.append(since)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY address"
    return [dict(r) for r in store.db.query(sql, params)]


def reset_address(store: Store, address: str, note: str, now: datetime) -> Change | None:
    """Put an address back to active, recording who-knows-why in `note`.

    An address that is already active has nothing to reset: nothing is written, None is returned.
    """
    key = canonical(store, address)
    with store.write() as conn:
        row = conn.execute(
            f"SELECT {ADDRESS_COLUMNS} FROM addresses WHERE address = ?", (key,)
        ).fetchone()
        if row is None:
            raise StoreError(f"{key}: no such address in the database")
        if row[0] == "active":  # state: nothing to reset
            return None
        decision = manual_reset(status_from_row(row), now.replace(microsecond=0))
        (change,) = write_decision(store, key, decision, note=note)
    return change


def counts(store: Store) -> dict[str, int]:
    """Addresses per state (for summaries)."""
    return {
        r["state"]: r["n"]
        for r in store.db.query("SELECT state, count(*) AS n FROM addresses GROUP BY state")
    }


__all__ = ["address_story", "counts", "reset_address", "suppression_list"]
