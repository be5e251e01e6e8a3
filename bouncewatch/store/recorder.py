"""Recording one message: the message row, its events, and the state changes they cause.

Called by `Store.record` inside one transaction (or savepoint): everything here happens
together or not at all.  Plain prepared statements on the hot path (sqlite3 caches them).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from bouncewatch.config import PolicyConfig
from bouncewatch.model import ParseResult, RawMessage, event_type_for
from bouncewatch.smtp.address import sent_to
from bouncewatch.store.addresses import OwnAddresses
from bouncewatch.store.policy import AddressStatus, Change, Decision, PolicyEvent, apply, expire
from bouncewatch.store.timefmt import days_from_text, days_to_text, from_iso, iso, parse_time


class Store(Protocol):
    """What recording needs of the store (`database.Store` has it): the open connection, the
    address policy, the VERP pattern and the sender's own addresses."""

    conn: sqlite3.Connection
    policy: PolicyConfig
    verp: re.Pattern[str] | None
    own: OwnAddresses


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    message_row_id: int | None
    outcome: str  #: parsed | unrecognized | ignored | error
    duplicate: bool
    events: int
    changes: tuple[tuple[str, str | None, str], ...]  #: (address, from_state, to_state)
    #: (event_type, bounce_type) of each event recorded, for summaries
    event_types: tuple[tuple[str, str], ...] = ()


def outcome_for(result: ParseResult) -> str:
    if result.kind == "not_bounce":
        return "error" if result.error and not result.recipients else "unrecognized"
    if result.recipients:
        return "parsed"
    return "error" if result.error else "unrecognized"


#: a date before this is a garbled one (year 1, a zero timestamp), not when a bounce happened;
#: taken as an event time it would also put the policy's windows before year 1 (OverflowError)
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)


def _plausible(t: datetime | None) -> datetime | None:
    return t if t is not None and t >= EARLIEST else None


#: rules applied because time passed (found lazily when the next event comes)
TIME_RULES = frozenset({"suspension_expired", "soft_decayed"})

_ADDRESS_COLUMNS = (
    "state, state_since, suspended_until, hard_count, soft_count, block_count, suspensions, "
    "soft_since, soft_days, last_soft_day, hard_pending_since, first_seen_at, last_seen_at"
)

_INSERT_MESSAGE = """
INSERT INTO messages (source, uidvalidity, uid, message_id, sha256, size, received_at,
                      processed_at, outcome, error, kind, detector, subject, original_message_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING"""

_INSERT_EVENT = """
INSERT INTO events (message_id, address, domain, event_type, bounce_type, reason, status,
                    smtp_code, diagnostic, remote_mta, reporting_mta, action, list_source, rule,
                    detector, occurred_at, recorded_at, counted)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_UPSERT_ADDRESS = """
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

_INSERT_CHANGE = """
INSERT INTO state_changes (address, from_state, to_state, event_id, rule, note, changed_at)
VALUES (?, ?, ?, ?, ?, ?, ?)"""


def _needs_scrub(value: str | None) -> bool:
    if not value or value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _scrub(value: str | None) -> str | None:
    """Lone surrogates (what os.fsdecode and the stdlib parser make of bytes that are not
    UTF-8) → U+FFFD: SQLite cannot store them, and one such field must not stop a message."""
    if not _needs_scrub(value):
        return value
    assert value is not None
    try:  # surrogate-escaped bytes: back to the bytes, then each invalid one replaced
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)


_RESULT_TEXT = (
    "kind", "detector", "message_id", "subject", "date", "reporting_mta", "arrival_date",
    "original_message_id", "list_source", "error",
)  # fmt: skip
_REPORT_TEXT = (
    "address", "action", "status", "diagnostic", "remote_mta", "last_attempt_date",
)  # fmt: skip
_CLASS_TEXT = ("bounce_type", "reason", "rule")


def scrubbed(raw: RawMessage, result: ParseResult) -> tuple[RawMessage, ParseResult]:
    """The message and result with every text that goes into the database storable."""
    if _needs_scrub(raw.source) or _needs_scrub(raw.received_at):
        raw = replace(raw, source=_scrub(raw.source) or "", received_at=_scrub(raw.received_at))
    fix: dict[str, Any] = {
        n: _scrub(getattr(result, n)) for n in _RESULT_TEXT if _needs_scrub(getattr(result, n))
    }
    recipients = []
    for item in result.recipients:
        rep, cls = item.report, item.classification
        rep_fix: dict[str, Any] = {
            n: _scrub(getattr(rep, n)) for n in _REPORT_TEXT if _needs_scrub(getattr(rep, n))
        }
        cls_fix: dict[str, Any] = {
            n: _scrub(getattr(cls, n)) for n in _CLASS_TEXT if _needs_scrub(getattr(cls, n))
        }
        if rep_fix or cls_fix:
            item = replace(
                item, report=replace(rep, **rep_fix), classification=replace(cls, **cls_fix)
            )
            fix["recipients"] = None
        recipients.append(item)
    if not fix:
        return raw, result
    fix["recipients"] = tuple(recipients)
    return raw, replace(result, **fix)


def record(store: Store, raw: RawMessage, result: ParseResult, now: datetime) -> RecordOutcome:
    conn = store.conn
    raw, result = scrubbed(raw, result)
    sha = hashlib.sha256(raw.data).hexdigest()
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).replace(microsecond=0)
    now_s = iso(now)
    outcome = outcome_for(result)
    # one statement for new messages; a duplicate (same content, or same mailbox UID) is a
    # uniqueness conflict that inserts nothing
    cur = conn.execute(
        _INSERT_MESSAGE,
        (
            raw.source,
            raw.uidvalidity,
            raw.uid,
            result.message_id,
            sha,
            len(raw.data),
            raw.received_at,
            now_s,
            outcome,
            result.error,
            result.kind,
            result.detector,
            result.subject,
            result.original_message_id,
        ),
    )
    if cur.rowcount == 0:
        return _duplicate(conn, raw, sha)
    message_row = cur.lastrowid
    base_time = (
        _plausible(parse_time(result.arrival_date))
        or _plausible(parse_time(result.date))
        or _plausible(parse_time(raw.received_at))
        or now
    )
    policy, fold, verp = store.policy, store.policy.fold_local_part, store.verp
    changes: list[tuple[str, str | None, str]] = []
    types: list[tuple[str, str]] = []
    for item in result.recipients:
        rep, cls = item.report, item.classification
        event_type = event_type_for(result.kind, rep.action)
        if event_type is None or not rep.address.strip():
            continue
        address, domain = sent_to(
            rep.address, rep.original_recipient, fold_local_part=fold, verp=verp
        )
        at = _plausible(parse_time(rep.last_attempt_date)) or base_time
        at = min(at, now)
        if at.microsecond:
            at = at.replace(microsecond=0)
        at_s = iso(at)
        current, first_seen = _load(conn, address)
        event = PolicyEvent(event_type, cls.bounce_type, at, own=(address, domain) in store.own)
        decision = apply(current or AddressStatus(since=at), event, policy)
        event_id = conn.execute(
            _INSERT_EVENT,
            (
                message_row,
                address,
                domain,
                event_type,
                cls.bounce_type,
                cls.reason,
                rep.status,
                rep.smtp_code,
                rep.diagnostic,
                rep.remote_mta,
                result.reporting_mta,
                rep.action,
                result.list_source,
                cls.rule,
                result.detector,
                at_s,
                now_s,
                int(decision.counted),
            ),
        ).lastrowid
        explains = bool(decision.changes) or (
            event_type in ("bounce", "complaint")
            and decision.status.state in ("active", "soft_bouncing")
        )
        _save(
            conn,
            address,
            domain,
            decision.status,
            event_id,
            (cls.reason, rep.status) if explains else (None, None),
            first_seen or at_s,
            at_s,
        )
        for ch in decision.changes:
            caused_by = None if ch.rule in TIME_RULES else event_id  # time did it, not the event
            conn.execute(
                _INSERT_CHANGE,
                (address, ch.from_state, ch.to_state, caused_by, ch.rule, None, iso(ch.at)),
            )
            changes.append((address, ch.from_state, ch.to_state))
        types.append((event_type, cls.bounce_type))
    return RecordOutcome(message_row, outcome, False, len(types), tuple(changes), tuple(types))


def _duplicate(conn: object, raw: RawMessage, sha: str) -> RecordOutcome:
    row = None
    if raw.uid is not None:
        row = conn.execute(  # type: ignore[attr-defined]
            "SELECT id, outcome FROM messages WHERE source = ? AND uidvalidity IS ? AND uid = ?",
            (raw.source, raw.uidvalidity, raw.uid),
        ).fetchone()
    if row is None:
        row = conn.execute(  # type: ignore[attr-defined]
            "SELECT id, outcome FROM messages WHERE sha256 = ?", (sha,)
        ).fetchone()
    return RecordOutcome(row[0], row[1], True, 0, ())


def _load(conn: object, address: str) -> tuple[AddressStatus | None, str | None]:
    row = conn.execute(  # type: ignore[attr-defined]
        f"SELECT {_ADDRESS_COLUMNS} FROM addresses WHERE address = ?", (address,)
    ).fetchone()
    if row is None:
        return None, None
    return status_from_row(row), row[11]


def status_from_row(row: tuple[Any, ...]) -> AddressStatus:
    """A row selected with _ADDRESS_COLUMNS → AddressStatus."""
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


def _save(
    conn: object,
    address: str,
    domain: str,
    st: AddressStatus,
    event_id: int | None,
    explanation: tuple[str | None, str | None],
    first_seen: str,
    last_seen: str,
) -> None:
    conn.execute(  # type: ignore[attr-defined]
        _UPSERT_ADDRESS,
        (
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
        ),
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
            _INSERT_CHANGE, (address, ch.from_state, ch.to_state, None, ch.rule, note, iso(ch.at))
        )
    return decision.changes


def expire_all(store: Store, now: datetime) -> list[tuple[str, Change]]:
    """Apply the passage of time to every address it concerns (the daemon calls this)."""
    horizon = (now - store.policy.soft_window).date().isoformat()
    rows = store.conn.execute(
        f"SELECT address, {_ADDRESS_COLUMNS} FROM addresses "
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
