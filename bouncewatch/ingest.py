"""The one ingest path: a `Source` gives batches of raw messages; `ingest` records each batch in
one transaction, commits, and only then lets the source acknowledge it.  One `Summary` comes
back, whatever the source: the daemon's pass (an IMAP folder) and the CLI's `ingest` (files,
folders, Maildirs, mboxes, stdin) both go through here.

The order is what makes it safe: a message is acknowledged (moved, flagged, deleted at the
IMAP server) only after what it said is committed; a crash before the acknowledgement leaves it
at the source and the next run records it again, which the store recognises and does not count
twice.  The source's cursor (`advance`) moves inside the same transaction as the messages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bouncewatch import gcpause
from bouncewatch.analyze import analyze
from bouncewatch.errors import StoreDamagedError, StoreError, StoreWriteError
from bouncewatch.exits import is_damage
from bouncewatch.logging_setup import kv
from bouncewatch.model import ParseOptions, ParseResult, RawMessage
from bouncewatch.store import RecordOutcome, Store
from bouncewatch.store.timefmt import iso, utcnow

log = logging.getLogger("bouncewatch.service")

#: Outcomes that send a message to the quarantine folder instead of the processed one.
QUARANTINE_OUTCOMES = frozenset({"unrecognized", "error"})
#: Kinds that are not bounces: quarantined whatever `after` says (never deleted), even when
#: recorded (an auto-reply is an event of its own).
NOT_BOUNCES = frozenset({"auto_reply", "not_bounce"})
#: States that take an address off the sending list.
SUPPRESSING = ("invalid", "complained", "suspended")


class Source(Protocol):
    """Where messages come from: batches of raw messages with their origin (mailbox,
    UIDVALIDITY and UID, or path); told what was committed so it can acknowledge it."""

    name: str
    #: each message its own savepoint (a failing one is left at the source and the batch goes
    #: on), or one failure rolls back the batch and stops (files: two statements fewer each)
    each_message_atomic: bool

    def batches(self) -> Iterator[list[RawMessage]]: ...

    def advance(self, store: Store, batch: Summary) -> None:
        """Move the cursor, inside the batch's transaction (before its commit)."""

    def acknowledge(self, batch: Summary) -> None:
        """Act on what the committed batch recorded (after the commit)."""


@dataclass
class Summary:
    """What recording did, for one batch or a whole run: one kind for every source."""

    mailbox: str = ""
    uidvalidity: int | None = None
    pending: int = 0
    fetched: int = 0
    parsed: int = 0  #: recorded and processed (not quarantined)
    quarantined: int = 0
    #: recorded with events [trust] refused (they changed nothing): the untrusted folder
    untrusted: int = 0
    duplicates: int = 0
    failed: int = 0
    events: int = 0
    changes: int = 0
    bytes: int = 0
    last_uid: int = 0
    uidvalidity_changed: bool = False
    interrupted: bool = False
    seconds: float = 0.0
    finished_at: str = field(default_factory=lambda: iso(utcnow()))
    processed_uids: list[int] = field(default_factory=list)
    quarantined_uids: list[int] = field(default_factory=list)
    untrusted_uids: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    event_types: Counter[str] = field(default_factory=Counter)
    suppressions: Counter[str] = field(default_factory=Counter)
    unrecognized: list[str] = field(default_factory=list)
    failed_paths: list[str] = field(default_factory=list)
    failed_uids: list[int] = field(default_factory=list)

    @property
    def new(self) -> int:
        return self.fetched - self.duplicates - self.failed

    def add(self, raw: RawMessage, result: ParseResult, out: RecordOutcome) -> None:
        """Count one recorded message."""
        if out.outcome in QUARANTINE_OUTCOMES or result.kind in NOT_BOUNCES:
            self.quarantined += 1
            if raw.uid is not None:
                self.quarantined_uids.append(raw.uid)
        elif out.untrusted:
            self.untrusted += 1
            if raw.uid is not None:
                self.untrusted_uids.append(raw.uid)
        else:
            self.parsed += 1
            if raw.uid is not None:
                self.processed_uids.append(raw.uid)
        self.events += out.events
        self.changes += len(out.changes)
        if out.duplicate:
            self.duplicates += 1
            return
        self.outcomes[out.outcome] += 1
        if out.outcome in QUARANTINE_OUTCOMES:
            self.unrecognized.append(raw.label)  # in an mbox: which message, where
        for event_type, bounce_type in out.event_types:
            self.event_types[bounce_type if event_type == "bounce" else event_type] += 1
        for _address, _from, to in out.changes:
            if to in SUPPRESSING:
                self.suppressions[to] += 1

    def merge(self, other: Summary) -> None:
        for name in ("fetched", "parsed", "quarantined", "untrusted", "duplicates", "failed",
                     "events", "changes", "bytes"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("processed_uids", "quarantined_uids", "untrusted_uids", "unrecognized",
                     "failed_paths", "failed_uids"):  # fmt: skip
            getattr(self, name).extend(getattr(other, name))
        for name in ("outcomes", "event_types", "suppressions"):
            getattr(self, name).update(getattr(other, name))
        self.interrupted = self.interrupted or other.interrupted

    def line(self) -> str:
        return (
            f"mailbox={self.mailbox} uidvalidity={self.uidvalidity} pending={self.pending} "
            f"fetched={self.fetched} parsed={self.parsed} quarantined={self.quarantined} "
            f"untrusted={self.untrusted} duplicates={self.duplicates} failed={self.failed} events={self.events} "
            f"changes={self.changes} bytes={self.bytes} last_uid={self.last_uid} "
            f"interrupted={str(self.interrupted).lower()} seconds={self.seconds:.3f}"
        )


def safe_parse(data: bytes, options: ParseOptions) -> ParseResult:
    """analyze never raises by contract; if it ever does, the message is quarantined
    with the reason recorded instead of stopping the run."""
    try:
        return analyze(data, options)
    except Exception as exc:  # a parser bug must not lose the message or stop the daemon
        log.exception("parser_crashed error=%s", type(exc).__name__)
        return ParseResult(kind="not_bounce", detector="none", error=f"parser crashed: {exc!r}")


def cut_short(raw: RawMessage, result: ParseResult, options: ParseOptions) -> ParseResult:
    """What is recorded for a message that was not read whole: none of its recipients (the
    part read may name 518 of 3,000, each "complete" to the policy), an error that says so,
    and the quarantine folder (it is never deleted)."""
    read = min(len(raw.data), options.max_bytes)
    return ParseResult(
        kind="not_bounce",
        detector="none",
        subject=result.subject,
        message_id=result.message_id,
        date=result.date,
        error=(
            f"Truncated: only the first {read} bytes of the message were read "
            f"(max_message_bytes); {len(result.recipients)} recipient(s) found in them "
            f"not recorded, kind {result.kind}, detector {result.detector}"
        ),
    )


def ingest(
    source: Source,
    store: Store,
    options: ParseOptions,
    *,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = utcnow,
    on_message: Callable[[RawMessage], Any] | None = None,
    on_commit: Callable[[Summary], Any] | None = None,
    total: Summary | None = None,
) -> Summary:
    """Record every batch of `source`: one transaction each, committed before the source
    acknowledges it.  Returns the run's Summary (`total` when given, added to)."""
    total = total if total is not None else Summary(mailbox=source.name)
    for batch in source.batches():
        done = record_batch(
            source, batch, store, options, stop=stop, now=now, on_message=on_message
        )
        if on_commit is not None:
            on_commit(done)
        source.acknowledge(done)
        total.merge(done)
        if done.interrupted:
            break
    return total


def record_batch(
    source: Source,
    batch: Sequence[RawMessage],
    store: Store,
    options: ParseOptions,
    *,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = utcnow,
    on_message: Callable[[RawMessage], Any] | None = None,
) -> Summary:
    """Record one batch in one transaction and commit it (the source's cursor moves inside).

    The batch's messages are parsed first, then recorded together (`Store.record_many`: a few
    statements for the whole batch).  Should that fail, nothing of it was written and the
    messages are recorded one at a time, as each message's own savepoint, so that the one that
    fails is found and (for sources whose messages are atomic) the others go on.

    The batch is parsed before its transaction begins: the database is not held while it
    is, and a checkpoint asked for by the last commit (`store.checkpoint`) runs meanwhile,
    so the WAL can start again from its beginning when the transaction does.

    The cycle collector is paused for the batch (`gcpause`): the parse results are held until
    the batch is recorded.  They are dropped (`_parse_and_record` returns) before it resumes,
    so its first collection after the batch does not walk them."""
    done = Summary(mailbox=source.name)
    with gcpause.paused():
        _parse_and_record(source, batch, store, options, done, stop, now, on_message)
    return done


def _parse_and_record(
    source: Source,
    batch: Sequence[RawMessage],
    store: Store,
    options: ParseOptions,
    done: Summary,
    stop: threading.Event | None,
    now: Callable[[], datetime],
    on_message: Callable[[RawMessage], Any] | None,
) -> None:
    """`record_batch`'s work, counted in `done`."""
    atomic = source.each_message_atomic
    ready: list[tuple[RawMessage, ParseResult, datetime]] = []
    for raw in batch:
        if stop is not None and stop.is_set():
            done.interrupted = True
            break
        ready.append((raw, _parse_one(raw, options), now()))
        if on_message is not None:
            on_message(raw)
    with store.batch(size=len(batch) + 1, each_message_atomic=atomic):
        outcomes = _record_together(store, ready)
        for k, (raw, result, at) in enumerate(ready):
            done.fetched += 1
            done.bytes += len(raw.data)
            if outcomes is None:
                _record_one(raw, result, at, store, done, atomic)
            else:
                _count_one(raw, result, outcomes[k], done)
        source.advance(store, done)


def _parse_one(raw: RawMessage, options: ParseOptions) -> ParseResult:
    result = safe_parse(raw.data, options)
    if raw.truncated or len(raw.data) > options.max_bytes:
        result = cut_short(raw, result, options)
    return result


def _store_failed(exc: Exception) -> StoreError | None:
    """What a failure to record becomes when SQLite cannot go on with the batch."""
    if is_damage(exc):
        # a damaged page fails every message the same way: stop, don't skip them one by one
        return StoreDamagedError(f"database damaged: {exc}")
    return None


def _record_together(
    store: Store, ready: list[tuple[RawMessage, ParseResult, datetime]]
) -> list[RecordOutcome] | None:
    """The batch's outcomes, or None when it must be recorded one message at a time."""
    if not ready:
        return []
    try:
        return store.record_many(ready)
    except (sqlite3.Error, StoreError) as exc:
        damage = _store_failed(exc)
        if damage is not None:
            raise damage from exc
        if not store.conn.in_transaction:
            # SQLite rolled back the whole batch (disk full, I/O error)
            raise StoreWriteError(f"database failed, batch rolled back: {exc}") from exc
        log.debug("batch_recorded_singly error=%s", kv(f"{type(exc).__name__}: {exc}"[:200]))
        return None


def _record_one(
    raw: RawMessage,
    result: ParseResult,
    at: datetime,
    store: Store,
    done: Summary,
    atomic: bool,
) -> None:
    try:
        outcome = store.record(raw, result, at)  # atomic: a savepoint in the batch
    except (sqlite3.Error, StoreError) as exc:
        damage = _store_failed(exc)
        if damage is not None:
            raise damage from exc
        if not atomic or not store.conn.in_transaction:
            # SQLite rolled back the whole batch (disk full, I/O error): the messages recorded
            # before this one are gone too, so none of the batch may be acknowledged
            raise StoreWriteError(f"database failed, batch rolled back: {exc}") from exc
        # left at the source, unacknowledged: the next pass tries again; the others go on
        done.failed += 1
        if raw.uid is not None:
            done.failed_uids.append(raw.uid)
        log.error(
            "record_failed mailbox=%s uid=%s error=%s action=left_in_mailbox",
            done.mailbox,
            raw.uid,
            kv(f"{type(exc).__name__}: {exc}"[:200]),
        )
        return
    _count_one(raw, result, outcome, done)


def _count_one(raw: RawMessage, result: ParseResult, outcome: RecordOutcome, done: Summary) -> None:
    """Count one recorded message in the batch's summary and log what it did."""
    done.add(raw, result, outcome)
    log.debug(
        "message_read mailbox=%s source=%s uid=%s bytes=%d kind=%s detector=%s outcome=%s "
        "events=%d duplicate=%s",
        done.mailbox,
        raw.label,
        raw.uid,
        len(raw.data),
        result.kind,
        result.detector,
        outcome.outcome,
        outcome.events,
        outcome.duplicate,
    )
    if outcome.outcome in QUARANTINE_OUTCOMES and not outcome.duplicate and raw.uid is not None:
        log.info(
            "message_quarantined mailbox=%s uid=%d outcome=%s kind=%s error=%s",
            done.mailbox,
            raw.uid,
            outcome.outcome,
            result.kind,
            kv((result.error or "-")[:200]),
        )
    elif outcome.untrusted and not outcome.duplicate:
        log.info(
            "message_untrusted mailbox=%s uid=%s events=%d untrusted=%d",
            done.mailbox,
            raw.uid,
            outcome.events,
            outcome.untrusted,
        )
    if raw.uid is not None:
        for address, old, new in outcome.changes:
            log.info(
                "state_changed address=%s from=%s to=%s uid=%d", address, old or "-", new, raw.uid
            )


__all__ = ["QUARANTINE_OUTCOMES", "Source", "Summary", "ingest", "record_batch", "safe_parse"]
