"""Recording one message: the message row, its events, and the state changes they cause.

Called by `Store.record` inside one transaction (or savepoint): everything here happens
together or not at all.  Plain prepared statements on the hot path (sqlite3 caches them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from bouncewatch.model import ParseResult, RawMessage, event_type_for
from bouncewatch.smtp.address import sent_to
from bouncewatch.store.address_rows import (
    INSERT_CHANGE,
    Store,
    load,
    save,
)
from bouncewatch.store.address_rows import expire_all as expire_all  # Store.expire calls it
from bouncewatch.store.policy import AddressStatus, PolicyEvent, apply
from bouncewatch.store.scrub import scrubbed
from bouncewatch.store.timefmt import iso, parse_time
from bouncewatch.store.trusted import verdicts


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    message_row_id: int | None
    outcome: str  #: parsed | unrecognized | ignored | error
    duplicate: bool
    events: int
    changes: tuple[tuple[str, str | None, str], ...]  #: (address, from_state, to_state)
    #: (event_type, bounce_type) of each event recorded, for summaries
    event_types: tuple[tuple[str, str], ...] = ()
    #: events recorded with trusted = 0 (they changed nothing): the message goes to the
    #: untrusted folder
    untrusted: int = 0


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

_INSERT_MESSAGE = """
INSERT INTO messages (source, uidvalidity, uid, message_id, sha256, size, received_at,
                      processed_at, outcome, error, kind, detector, subject, original_message_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING"""

_INSERT_EVENT = """
INSERT INTO events (message_id, address, domain, event_type, bounce_type, reason, status,
                    smtp_code, diagnostic, remote_mta, reporting_mta, action, list_source, rule,
                    detector, occurred_at, recorded_at, counted, expired, trusted, trust)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


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
    # the policy's clock: when the message was received (IMAP INTERNALDATE, file time, or
    # now), never a date the message itself claims, which anyone can back-date
    received = min(_plausible(parse_time(raw.received_at)) or now, now)
    claimed = (
        _plausible(parse_time(result.arrival_date))
        or _plausible(parse_time(result.date))
        or received
    )
    policy, fold, verp = store.policy, store.policy.fold_local_part, store.verp
    items = []
    for item in result.recipients:
        rep = item.report
        event_type = event_type_for(result.kind, rep.action)
        if event_type is None or not rep.address.strip():
            continue
        address, domain = sent_to(
            rep.address, rep.original_recipient, fold_local_part=fold, verp=verp
        )
        items.append((item, event_type, address, domain))
    judged = verdicts(store, result, [(i[0].report.address, i[2]) for i in items], received)
    changes: list[tuple[str, str | None, str]] = []
    types: list[tuple[str, str]] = []
    untrusted = 0
    for (item, event_type, address, domain), verdict in zip(items, judged, strict=True):
        rep, cls = item.report, item.classification
        at = received
        if verdict.authenticated:  # the report's own time, up to when it was received
            at = min(_plausible(parse_time(rep.last_attempt_date)) or claimed, received)
        if at.microsecond:
            at = at.replace(microsecond=0)
        at_s = iso(at)
        fields = (
            message_row, address, domain, event_type, cls.bounce_type, cls.reason, rep.status,
            rep.smtp_code, rep.diagnostic, rep.remote_mta, result.reporting_mta, rep.action,
            result.list_source, cls.rule, result.detector, at_s, now_s,
        )  # fmt: skip
        types.append((event_type, cls.bounce_type))
        if not verdict.trusted:  # recorded, and changes nothing
            conn.execute(_INSERT_EVENT, (*fields, 0, int(cls.expired), 0, verdict.how))
            untrusted += 1
            continue
        current, first_seen = load(conn, address)
        event = PolicyEvent(event_type, cls.bounce_type, at, own=(address, domain) in store.own)
        decision = apply(current or AddressStatus(since=at), event, policy)
        event_id = conn.execute(
            _INSERT_EVENT, (*fields, int(decision.counted), int(cls.expired), 1, verdict.how)
        ).lastrowid
        explains = bool(decision.changes) or (
            event_type in ("bounce", "complaint")
            and decision.status.state in ("active", "soft_bouncing")
        )
        save(
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
                INSERT_CHANGE,
                (address, ch.from_state, ch.to_state, caused_by, ch.rule, None, iso(ch.at)),
            )
            changes.append((address, ch.from_state, ch.to_state))
    if untrusted:
        conn.execute("UPDATE messages SET untrusted = ? WHERE id = ?", (untrusted, message_row))
    return RecordOutcome(
        message_row, outcome, False, len(types), tuple(changes), tuple(types), untrusted
    )


def _duplicate(conn: object, raw: RawMessage, sha: str) -> RecordOutcome:
    row = None
    if raw.uid is not None:
        row = conn.execute(  # type: ignore[attr-defined]
            "SELECT id, outcome, untrusted FROM messages "
            "WHERE source = ? AND uidvalidity IS ? AND uid = ?",
            (raw.source, raw.uidvalidity, raw.uid),
        ).fetchone()
    if row is None:
        row = conn.execute(  # type: ignore[attr-defined]
            "SELECT id, outcome, untrusted FROM messages WHERE sha256 = ?", (sha,)
        ).fetchone()
    # a message read again goes where it went the first time (untrusted folder included)
    return RecordOutcome(row[0], row[1], True, 0, (), untrusted=row[2])
