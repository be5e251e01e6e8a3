"""One pass over one mailbox: fetch → parse → record (commit) → acknowledge.

No scheduling and no CLI here: the daemon calls `run_pass` from its poll timer and its IDLE
loop, `bouncewatch run --once` calls it once per mailbox.

The order is what makes it safe.  A message is acknowledged at the server (moved, flagged,
deleted, quarantined) only after what it said is committed (one transaction per fetched
batch, each message atomic inside it); a crash before the
acknowledgement leaves the message in the folder and the next pass records it again, which the
store recognises (same mailbox + UIDVALIDITY + UID, or same content) and does not count twice.
A UIDVALIDITY change is logged and the folder re-scanned from the start, with the same
guarantee.

Per mailbox the store's meta table keeps `imap:NAME:uidvalidity`, `imap:NAME:last_uid`,
`imap:NAME:last_poll` and `imap:NAME:last_success`.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bouncewatch.config.settings import Settings
from bouncewatch.errors import StoreDamagedError, StoreError, StoreWriteError
from bouncewatch.exits import is_damage
from bouncewatch.logging_setup import kv
from bouncewatch.model import ParseOptions, ParseResult, RawMessage
from bouncewatch.parse import parse_message
from bouncewatch.sources.imap import ImapFolder
from bouncewatch.store import Store
from bouncewatch.store.timefmt import iso, utcnow

log = logging.getLogger("bouncewatch.service")

#: Outcomes that send a message to the quarantine folder instead of the processed one.
QUARANTINE_OUTCOMES = frozenset({"unrecognized", "error"})

#: Fault injection for the crash tests: "after-commit:N" makes the process SIGKILL itself
#: right after the commit that brings it to N recorded messages, before acknowledging them
#: (read once, at import).
_FAILPOINT = os.environ.get("BOUNCEWATCH_FAILPOINT", "")


@dataclass
class PassStats:
    """What one pass did: logged as one line and sent to systemd as STATUS."""

    mailbox: str
    uidvalidity: int | None = None
    pending: int = 0
    fetched: int = 0
    parsed: int = 0
    quarantined: int = 0
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

    def line(self) -> str:
        return (
            f"mailbox={self.mailbox} uidvalidity={self.uidvalidity} pending={self.pending} "
            f"fetched={self.fetched} parsed={self.parsed} quarantined={self.quarantined} "
            f"duplicates={self.duplicates} failed={self.failed} events={self.events} changes={self.changes} "
            f"bytes={self.bytes} last_uid={self.last_uid} interrupted={str(self.interrupted).lower()} "
            f"seconds={self.seconds:.3f}"
        )


def open_store(settings: Settings, *, must_exist: bool = False) -> Store:
    """The one way to open the configured database (its policy and parse options applied).
    `must_exist`: a StoreError instead of creating a missing file (commands that only read)."""
    path = settings.database
    if must_exist and not path.exists():
        raise StoreError(
            f"{path}: no such database (give --db, or record something with "
            "`bouncewatch ingest` or `bouncewatch run`)"
        )
    return Store.open(path, policy=settings.policy, parse_options=settings.parse_options)


def safe_parse(data: bytes, options: ParseOptions) -> ParseResult:
    """parse_message never raises by contract; if it ever does, the message is quarantined
    with the reason recorded instead of stopping the pass."""
    try:
        return parse_message(data, options)
    except Exception as exc:  # a parser bug must not lose the message or stop the daemon
        log.exception("parser_crashed error=%s", type(exc).__name__)
        return ParseResult(kind="not_bounce", detector="none", error=f"parser crashed: {exc!r}")


class _Failpoint:
    def __init__(self, spec: str) -> None:
        name, _, count = spec.partition(":")
        self.after_commit = int(count) if name == "after-commit" and count.isdigit() else 0
        self.commits = 0

    def committed(self, messages: int) -> None:
        if self.after_commit:
            self.commits += messages
            if self.commits >= self.after_commit:
                log.warning("failpoint_hit failpoint=after-commit commits=%d", self.commits)
                os.kill(os.getpid(), signal.SIGKILL)


_failpoint = _Failpoint(_FAILPOINT)


def run_pass(
    folder: ImapFolder,
    store: Store,
    options: ParseOptions,
    *,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = utcnow,
    quiet_if_empty: bool = False,
) -> PassStats:
    """Process every pending message of the folder once.  Connection errors propagate (the
    caller reconnects); what was committed before them stays committed and is acknowledged on
    the next pass.  `quiet_if_empty`: a pass that found nothing logs at DEBUG (the daemon's
    periodic polls)."""
    started = time.monotonic()
    name = folder.mailbox.name
    key = f"imap:{name}"
    stats = PassStats(mailbox=name)
    store.set_meta(f"{key}:last_poll", iso(now()))

    uidvalidity, _uidnext = folder.select()
    stats.uidvalidity = uidvalidity
    known = store.get_meta(f"{key}:uidvalidity")
    last_uid = int(store.get_meta(f"{key}:last_uid") or 0)
    if known is not None and known != str(uidvalidity):
        log.warning(
            "uidvalidity_changed mailbox=%s old=%s new=%d action=rescan", name, known, uidvalidity
        )
        stats.uidvalidity_changed = True
        last_uid = 0
        store.set_meta(f"{key}:last_uid", "0")
    if known != str(uidvalidity):
        store.set_meta(f"{key}:uidvalidity", str(uidvalidity))

    uids = folder.pending_uids(last_uid)
    stats.pending = len(uids)
    stats.last_uid = last_uid
    for batch in folder.fetch(uids):
        processed: list[int] = []
        quarantined: list[int] = []
        # one transaction per fetched batch (each message a savepoint inside it): the commit
        # comes before the acknowledgement; a failure rolls the batch back and acknowledges
        # nothing, so the next pass sees those messages again
        with store.batch(size=len(batch) + 1):
            for raw in batch:
                if stop is not None and stop.is_set():
                    stats.interrupted = True
                    break
                _record_one(raw, store, options, now, stats, processed, quarantined)
            if processed or quarantined:
                newest = max(processed + quarantined)
                if newest > stats.last_uid:
                    stats.last_uid = newest
                    store.set_meta(f"{key}:last_uid", str(newest))
        _failpoint.committed(len(processed) + len(quarantined))
        folder.ack(processed, quarantined)
        if stats.interrupted:
            break
    store.set_meta(f"{key}:last_success", iso(now()))
    stats.seconds = time.monotonic() - started
    stats.finished_at = iso(now())
    level = logging.DEBUG if quiet_if_empty and not stats.pending else logging.INFO
    log.log(level, "pass_done %s", stats.line())
    return stats


def _record_one(
    raw: RawMessage,
    store: Store,
    options: ParseOptions,
    now: Callable[[], datetime],
    stats: PassStats,
    processed: list[int],
    quarantined: list[int],
) -> None:
    stats.fetched += 1
    stats.bytes += len(raw.data)
    result = safe_parse(raw.data, options)
    try:
        outcome = store.record(raw, result, now())  # atomic: a savepoint in the batch
    except (sqlite3.Error, StoreError) as exc:
        if is_damage(exc):
            # a damaged page fails every message the same way: stop, don't skip them one by one
            raise StoreDamagedError(f"database damaged: {exc}") from exc
        if not store.conn.in_transaction:
            # SQLite rolled back the whole batch (disk full, I/O error): the messages recorded
            # before this one are gone too, so none of the batch may be acknowledged
            raise StoreWriteError(f"database failed, batch rolled back: {exc}") from exc
        # left in the mailbox, unacknowledged: the next pass tries again; the others go on
        stats.failed += 1
        log.error(
            "record_failed mailbox=%s uid=%d error=%s action=left_in_mailbox",
            stats.mailbox,
            raw.uid,
            kv(f"{type(exc).__name__}: {exc}"[:200]),
        )
        return
    assert raw.uid is not None
    if outcome.outcome in QUARANTINE_OUTCOMES:
        quarantined.append(raw.uid)
        stats.quarantined += 1
        if not outcome.duplicate:
            log.info(
                "message_quarantined mailbox=%s uid=%d outcome=%s kind=%s error=%s",
                stats.mailbox,
                raw.uid,
                outcome.outcome,
                result.kind,
                kv((result.error or "-")[:200]),
            )
    else:
        processed.append(raw.uid)
        stats.parsed += 1
    if outcome.duplicate:
        stats.duplicates += 1
    stats.events += outcome.events
    stats.changes += len(outcome.changes)
    for address, old, new in outcome.changes:
        log.info("state_changed address=%s from=%s to=%s uid=%d", address, old or "-", new, raw.uid)
