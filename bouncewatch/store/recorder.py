"""Recording one message: the message row, its events, and the state changes they cause.

Called by `Store.record` inside one transaction (or savepoint): everything here happens
together or not at all.  Plain prepared statements on the hot path (sqlite3 caches them).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bouncewatch import gcpause
from bouncewatch.model import ParseResult, RawMessage, event_type_for, quick_init
from bouncewatch.smtp.address import sent_to
from bouncewatch.store.address_rows import (
    ADDRESS_COLUMNS,
    INSERT_CHANGE,
    UPSERT_ADDRESS,
    Store,
    address_row,
    load,
    status_from_row,
)
from bouncewatch.store.address_rows import expire_all as expire_all  # Store.expire calls it
from bouncewatch.store.policy import AddressStatus, PolicyEvent, apply
from bouncewatch.store.scrub import scrubbed
from bouncewatch.store.timefmt import iso, parse_time
from bouncewatch.store.trusted import verdicts


@quick_init
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

#: a batch's messages, their row ids given (SQLite's own choice: one past the largest), with
#: their untrusted count; no ON CONFLICT: the batch found its duplicates before, so a conflict
#: here is an error and the batch is recorded again one message at a time
_INSERT_MESSAGE_ROWS = """
INSERT INTO messages (source, uidvalidity, uid, message_id, sha256, size, received_at,
                      processed_at, outcome, error, kind, detector, subject, original_message_id,
                      untrusted, id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_EVENT = """
INSERT INTO events (message_id, address, domain, event_type, bounce_type, reason, status,
                    smtp_code, diagnostic, remote_mta, reporting_mta, action, list_source, rule,
                    detector, occurred_at, recorded_at, counted, expired, trusted, trust)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_EVENT_ROWS = """
INSERT INTO events (message_id, address, domain, event_type, bounce_type, reason, status,
                    smtp_code, diagnostic, remote_mta, reporting_mta, action, list_source, rule,
                    detector, occurred_at, recorded_at, counted, expired, trusted, trust, id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

#: a new address's row: what UPSERT_ADDRESS inserts when there is none
_INSERT_ADDRESS = UPSERT_ADDRESS[: UPSERT_ADDRESS.index("ON CONFLICT")]

#: placeholders per `IN (...)` query (SQLite 3.32+ allows 32,766 per statement)
_CHUNK = 500


class _Message:
    """One message made ready to record: its storable text, hash, clocks and recipients."""

    __slots__ = ("items", "now", "now_s", "outcome", "raw", "received", "result", "sha")

    def __init__(self, store: Store, raw: RawMessage, result: ParseResult, now: datetime) -> None:
        raw, result = scrubbed(raw, result)
        self.raw, self.result = raw, result
        self.sha = hashlib.sha256(raw.data).hexdigest()
        now = (now if now.tzinfo else now.replace(tzinfo=UTC)).replace(microsecond=0)
        self.now, self.now_s = now, iso(now)
        self.outcome = outcome_for(result)
        # the policy's clock: when the message was received (IMAP INTERNALDATE, file time, or
        # now), never a date the message itself claims, which anyone can back-date
        self.received = min(_plausible(parse_time(raw.received_at)) or now, now)
        fold, verp = store.policy.fold_local_part, store.verp
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
        self.items = items

    def claimed(self) -> datetime:
        """When the message says it happened (only an authenticated report is believed)."""
        result = self.result
        return (
            _plausible(parse_time(result.arrival_date))
            or _plausible(parse_time(result.date))
            or self.received
        )

    def row(self) -> tuple[object, ...]:
        """The messages row (without id and untrusted)."""
        raw, result = self.raw, self.result
        return (
            raw.source, raw.uidvalidity, raw.uid, result.message_id, self.sha, len(raw.data),
            raw.received_at, self.now_s, self.outcome, result.error, result.kind,
            result.detector, result.subject, result.original_message_id,
        )  # fmt: skip


class _AtOnce:
    """Where `_record_events` reads address states and writes events, states and changes:
    each statement when it comes (one message on its own; `_Batch` holds a batch's)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def current(self, address: str) -> tuple[AddressStatus | None, str | None]:
        return load(self.conn, address)

    def event(
        self, fields: tuple[object, ...], counted: int, expired: int, trusted: int, how: str
    ) -> int:
        row = (*fields, counted, expired, trusted, how)
        return self.conn.execute(_INSERT_EVENT, row).lastrowid  # type: ignore[return-value]

    def state(
        self,
        address: str,
        domain: str,
        st: AddressStatus,
        event_id: int,
        explanation: tuple[str | None, str | None],
        first_seen: str,
        last_seen: str,
    ) -> None:
        self.conn.execute(
            UPSERT_ADDRESS,
            address_row(address, domain, st, event_id, explanation, first_seen, last_seen),
        )

    def change(self, row: tuple[object, ...]) -> None:
        self.conn.execute(INSERT_CHANGE, row)


def record(store: Store, raw: RawMessage, result: ParseResult, now: datetime) -> RecordOutcome:
    """Record one message, a statement at a time (`record_many` records a batch)."""
    conn = store.conn
    msg = _Message(store, raw, result, now)
    # one statement for new messages; a duplicate (same content, or same mailbox UID) is a
    # uniqueness conflict that inserts nothing
    cur = conn.execute(_INSERT_MESSAGE, msg.row())
    if cur.rowcount == 0:
        return _duplicate(conn, msg.raw, msg.sha)
    message_row = cur.lastrowid
    assert message_row is not None
    out = _record_events(store, _AtOnce(conn), msg, message_row, store.conn)
    if out.untrusted:
        conn.execute("UPDATE messages SET untrusted = ? WHERE id = ?", (out.untrusted, message_row))
    return out


def _record_events(
    store: Store, writes: _AtOnce | _Batch, msg: _Message, message_row: int, sent: object
) -> RecordOutcome:
    """The events of one message and the state changes they cause, written to `writes`.
    `sent`: where to look up the sent message a bounce returns (None: nothing recorded)."""
    result, now_s, received = msg.result, msg.now_s, msg.received
    items = msg.items
    if not items:
        return RecordOutcome(message_row, msg.outcome, False, 0, ())
    judged = verdicts(store, result, [(i[0].report.address, i[2]) for i in items], received, sent)
    policy, own = store.policy, store.own
    changes: list[tuple[str, str | None, str]] = []
    types: list[tuple[str, str]] = []
    untrusted = 0
    for (item, event_type, address, domain), verdict in zip(items, judged, strict=True):
        rep, cls = item.report, item.classification
        at = received
        if verdict.authenticated:  # the report's own time, up to when it was received
            at = min(_plausible(parse_time(rep.last_attempt_date)) or msg.claimed(), received)
        if at.microsecond:
            at = at.replace(microsecond=0)
        at_s = iso(at)
        fields = (
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
        )  # fmt: skip (then counted, expired, trusted, trust)
        types.append((event_type, cls.bounce_type))
        if not verdict.trusted:  # recorded, and changes nothing
            writes.event(fields, 0, int(cls.expired), 0, verdict.how)
            untrusted += 1
            continue
        current, first_seen = writes.current(address)
        event = PolicyEvent(event_type, cls.bounce_type, at, own=(address, domain) in own)
        decision = apply(current or AddressStatus(since=at), event, policy)
        event_id = writes.event(fields, int(decision.counted), int(cls.expired), 1, verdict.how)
        explains = bool(decision.changes) or (
            event_type in ("bounce", "complaint")
            and decision.status.state in ("active", "soft_bouncing")
        )
        writes.state(
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
            writes.change(
                (address, ch.from_state, ch.to_state, caused_by, ch.rule, None, iso(ch.at))
            )
            changes.append((address, ch.from_state, ch.to_state))
    return RecordOutcome(
        message_row, msg.outcome, False, len(types), tuple(changes), tuple(types), untrusted
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


# --- a batch at once -----------------------------------------------------------------------------


class _Batch:
    """A batch's writes, held until `flush` sends each table's rows in one `executemany`.

    Row ids are given as SQLite would give them (one past the largest: the batch holds the
    write lock, nobody else inserts), so events can name their message and states their last
    event before anything is written.  An address is read once (all of the batch's in one
    query, `preload`) and written once per flush, with what its events' writes one after the
    other would have left: the last event's state, the last explanation given, the latest
    time seen."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.known: dict[str, tuple[AddressStatus | None, str | None]] = {}
        self.messages: list[tuple[object, ...]] = []
        self.events: list[tuple[object, ...]] = []
        self.changes: list[tuple[object, ...]] = []
        #: address → [domain, first_seen, status, last_event_id, reason, status text, last_seen,
        #: whether it has no row yet]
        self.states: dict[str, list[Any]] = {}
        self.next_message = self.next_event = 0
        self.restart()

    def restart(self) -> None:
        """Take up the ids from the table (after a message recorded on its own)."""
        self.known.clear()
        conn = self.conn
        self.next_message = (conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0) + 1
        self.next_event = (conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0) + 1

    def preload(self, addresses: set[str]) -> None:
        """The current state of every address in `addresses`, in one query per chunk."""
        wanted = [a for a in addresses if a not in self.known]
        known = self.known
        for a in wanted:
            known[a] = (None, None)
        for i in range(0, len(wanted), _CHUNK):
            part = wanted[i : i + _CHUNK]
            rows = self.conn.execute(
                f"SELECT {ADDRESS_COLUMNS}, address FROM addresses "
                f"WHERE address IN ({','.join('?' * len(part))})",
                part,
            )
            for row in rows:
                known[row[13]] = (status_from_row(row), row[11])

    def current(self, address: str) -> tuple[AddressStatus | None, str | None]:
        got = self.known.get(address)
        if got is None:
            got = self.known[address] = load(self.conn, address)
        return got

    def message(self, row: tuple[object, ...], untrusted: int, message_row: int) -> None:
        self.messages.append((*row, untrusted, message_row))

    def event(
        self, fields: tuple[object, ...], counted: int, expired: int, trusted: int, how: str
    ) -> int:
        event_id = self.next_event
        self.next_event += 1
        self.events.append((*fields, counted, expired, trusted, how, event_id))
        return event_id

    def state(
        self,
        address: str,
        domain: str,
        st: AddressStatus,
        event_id: int,
        explanation: tuple[str | None, str | None],
        first_seen: str,
        last_seen: str,
    ) -> None:
        pending = self.states.get(address)
        if pending is None:
            new = self.known[address][0] is None  # no row yet: a plain INSERT will do
            self.known[address] = (st, first_seen)
            self.states[address] = [domain, first_seen, st, event_id, *explanation, last_seen, new]
            return
        self.known[address] = (st, first_seen)
        pending[2] = st
        pending[3] = event_id
        if explanation[0] is not None:  # coalesce(excluded.last_reason, addresses.last_reason)
            pending[4], pending[5] = explanation
        if last_seen > pending[6]:
            pending[6] = last_seen

    def change(self, row: tuple[object, ...]) -> None:
        self.changes.append(row)

    def flush(self) -> None:
        conn = self.conn
        if self.messages:
            conn.executemany(_INSERT_MESSAGE_ROWS, self.messages)
        if self.events:
            conn.executemany(_INSERT_EVENT_ROWS, self.events)
        if self.states:
            rows: dict[bool, list[tuple[object, ...]]] = {True: [], False: []}
            for address, (
                domain,
                first,
                st,
                event_id,
                reason,
                text,
                last,
                new,
            ) in self.states.items():
                rows[new].append(
                    address_row(address, domain, st, event_id, (reason, text), first, last)
                )
            if rows[True]:  # in the order they came: the table's rowids are as one at a time
                conn.executemany(_INSERT_ADDRESS, rows[True])
            if rows[False]:
                conn.executemany(UPSERT_ADDRESS, rows[False])
        if self.changes:
            conn.executemany(INSERT_CHANGE, self.changes)
        self.messages.clear()
        self.events.clear()
        self.states.clear()
        self.changes.clear()


def record_many(
    store: Store, messages: Sequence[tuple[RawMessage, ParseResult, datetime]]
) -> list[RecordOutcome]:
    """Record a batch of messages: the same rows, states and outcomes as `record` on each in
    turn, in a handful of statements for the whole batch.

    The batch's duplicates are found in one query (content hashes, mailbox UIDs) and, with
    the duplicates inside the batch, recorded by `record` (after what came before them is
    written).  Not atomic by itself: the caller's transaction or savepoint is the unit."""
    with gcpause.paused():  # the batch's rows and states, held until the flush
        return _record_many(store, messages)


def _record_many(
    store: Store, messages: Sequence[tuple[RawMessage, ParseResult, datetime]]
) -> list[RecordOutcome]:
    conn = store.conn
    ready = [_Message(store, raw, result, now) for raw, result, now in messages]
    again = _seen_before(conn, ready)
    batch = _Batch(conn)
    batch.preload({i[2] for m in ready for i in m.items})
    # the sent messages a bounce may return: when `bouncewatch sent` recorded none (the usual
    # case), no message needs its lookup
    sent = conn if conn.execute("SELECT 1 FROM sent_messages LIMIT 1").fetchone() else None
    out: list[RecordOutcome] = []
    for k, msg in enumerate(ready):
        if k in again:  # what `record` would make of it, on what came before it
            batch.flush()
            out.append(record(store, msg.raw, msg.result, msg.now))
            if not out[-1].duplicate:  # it wrote rows: ids and states move on
                batch.restart()
            continue
        message_row = batch.next_message
        batch.next_message += 1
        done = _record_events(store, batch, msg, message_row, sent)
        batch.message(msg.row(), done.untrusted, message_row)
        out.append(done)
    batch.flush()
    return out


def _seen_before(conn: sqlite3.Connection, ready: list[_Message]) -> set[int]:
    """The positions of the messages that may be duplicates: their content or mailbox UID is
    in the database already, or earlier in the batch."""
    again: set[int] = set()
    shas: dict[str, int] = {}
    uids: dict[tuple[str, int | None], dict[int, int]] = {}
    for k, msg in enumerate(ready):
        raw = msg.raw
        if msg.sha in shas:
            again.add(k)
        else:
            shas[msg.sha] = k
        if raw.uid is not None:
            seen = uids.setdefault((raw.source, raw.uidvalidity), {})
            if raw.uid in seen:
                again.add(k)
            else:
                seen[raw.uid] = k
    keys = list(shas)
    for i in range(0, len(keys), _CHUNK):
        part = keys[i : i + _CHUNK]
        rows = conn.execute(
            f"SELECT sha256 FROM messages WHERE sha256 IN ({','.join('?' * len(part))})", part
        )
        again.update(shas[row[0]] for row in rows)
    for (source, uidvalidity), seen in uids.items():
        numbers = list(seen)
        for i in range(0, len(numbers), _CHUNK):
            some = numbers[i : i + _CHUNK]
            rows = conn.execute(
                "SELECT uid FROM messages WHERE source = ? AND uidvalidity IS ? "
                f"AND uid IS NOT NULL AND uid IN ({','.join('?' * len(some))})",
                (source, uidvalidity, *some),
            )
            again.update(seen[row[0]] for row in rows)
    return again
