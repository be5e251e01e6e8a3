"""One pass over one IMAP mailbox: fetch → parse → record (commit) → acknowledge.

The folder is a `bouncewatch.ingest.Source` (`ImapSource`); the recording is `ingest.ingest`,
the same path `bouncewatch ingest` takes for files.  No scheduling and no CLI here: the daemon calls `run_pass` from its poll timer and its IDLE
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
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from bouncewatch.config.secrets import read_verp_secrets
from bouncewatch.config.settings import Settings
from bouncewatch.errors import StoreError
from bouncewatch.ingest import QUARANTINE_OUTCOMES, Summary, ingest, safe_parse
from bouncewatch.logging_setup import register_secret
from bouncewatch.model import ParseOptions, RawMessage
from bouncewatch.sources.imap import ImapFolder
from bouncewatch.store import Store
from bouncewatch.store.timefmt import iso, utcnow

log = logging.getLogger("bouncewatch.service")

#: Fault injection for the crash tests: "after-commit:N" makes the process SIGKILL itself
#: right after the commit that brings it to N recorded messages, before acknowledging them
#: (read once, at import).
_FAILPOINT = os.environ.get("BOUNCEWATCH_FAILPOINT", "")


#: what one pass did: the one ingest Summary (logged as one line, sent to systemd as STATUS)
PassStats = Summary


def open_store(settings: Settings, *, must_exist: bool = False, records: bool = False) -> Store:
    """The one way to open the configured database (its policy, parse options, trust and
    file group applied).  `must_exist`: a StoreError instead of creating a missing file
    (commands that only read).  `records`: the store records bounces, so it gets the VERP
    secrets (read now; ConfigError when they can't be; kept out of every log line)."""
    path = settings.database
    if must_exist and not path.exists():
        raise StoreError(
            f"{path}: no such database (give --db, or record something with "
            "`bouncewatch ingest` or `bouncewatch run`)"
        )
    secrets = read_verp_secrets(settings.trust) if records else ()
    for secret in secrets:
        register_secret(secret.decode("utf-8"))
    return Store.open(
        path,
        policy=settings.policy,
        parse_options=settings.parse_options,
        trust=settings.trust,
        verp_secrets=secrets,
        group=settings.database_group,
    )


def warn_if_unauthenticated(settings: Settings) -> None:
    """One log line at start when bounces may change state without authentication."""
    if settings.trust.require == "any":
        log.warning(
            "trust_unauthenticated require=any max_recipients_per_message=%d "
            "complaint_senders=%d see=docs/trust.md",
            settings.trust.max_recipients_per_message,
            len(settings.trust.complaint_senders),
        )


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


class ImapSource:
    """An IMAP folder as a `Source`: pending UIDs above the stored cursor, re-scanned from the
    start when UIDVALIDITY changes; acknowledged (moved, flagged, deleted, quarantined) after
    the commit."""

    each_message_atomic = True

    def __init__(self, folder: ImapFolder, store: Store, now: Callable[[], datetime]) -> None:
        self.folder = folder
        self.name = folder.mailbox.name
        self.key = f"imap:{self.name}"
        self.store = store
        self.now = now
        self.stats = Summary(mailbox=self.name)
        #: the first UID that failed to record in this pass: the cursor stays below it
        self.hold = 0

    def open(self) -> None:
        """Select the folder, check UIDVALIDITY against the stored one, list what is new."""
        name, key, store, stats = self.name, self.key, self.store, self.stats
        store.set_meta(f"{key}:last_poll", iso(self.now()))
        uidvalidity, _uidnext = self.folder.select()
        stats.uidvalidity = uidvalidity
        known = store.get_meta(f"{key}:uidvalidity")
        last_uid = int(store.get_meta(f"{key}:last_uid") or 0)
        if known is not None and known != str(uidvalidity):
            log.warning(
                "uidvalidity_changed mailbox=%s old=%s new=%d action=rescan",
                name,
                known,
                uidvalidity,
            )
            stats.uidvalidity_changed = True
            last_uid = 0
            store.set_meta(f"{key}:last_uid", "0")
        if known != str(uidvalidity):
            store.set_meta(f"{key}:uidvalidity", str(uidvalidity))
        self.uids = self.folder.pending_uids(last_uid)
        stats.pending = len(self.uids)
        stats.last_uid = last_uid

    def batches(self) -> Iterator[list[RawMessage]]:
        return self.folder.fetch(self.uids)

    def advance(self, store: Store, batch: Summary) -> None:
        """The cursor moves past what was recorded, never past a message that failed to
        record (where the server keeps no keyword, the cursor is what marks work as done)."""
        if batch.failed_uids:
            self.hold = min([*batch.failed_uids, *([self.hold] if self.hold else [])])
        seen = batch.processed_uids + batch.quarantined_uids + batch.untrusted_uids
        if self.hold:
            seen = [uid for uid in seen if uid < self.hold]
        if seen and max(seen) > self.stats.last_uid:
            self.stats.last_uid = max(seen)
            store.set_meta(f"{self.key}:last_uid", str(self.stats.last_uid))

    def acknowledge(self, batch: Summary) -> None:
        _failpoint.committed(
            len(batch.processed_uids) + len(batch.quarantined_uids) + len(batch.untrusted_uids)
        )
        self.folder.ack(batch.processed_uids, batch.quarantined_uids, batch.untrusted_uids)


def run_pass(
    folder: ImapFolder,
    store: Store,
    options: ParseOptions,
    *,
    stop: threading.Event | None = None,
    now: Callable[[], datetime] = utcnow,
    quiet_if_empty: bool = False,
    on_message: Callable[[RawMessage], object] | None = None,
) -> PassStats:
    """Process every pending message of the folder once.  Connection errors propagate (the
    caller reconnects); what was committed before them stays committed and is acknowledged on
    the next pass.  `quiet_if_empty`: a pass that found nothing logs at DEBUG (the daemon's
    periodic polls).  `on_message` is called after each message (the daemon's heartbeat).
    Every command of the pass ends within PASS_TIMEOUT (a SourceError past it)."""
    started = time.monotonic()
    source = ImapSource(folder, store, now)
    folder.start_pass()
    try:
        source.open()
        stats = ingest(
            source, store, options, stop=stop, now=now, on_message=on_message, total=source.stats
        )
        folder.finish_pass()  # the answers still awaited are read (a refused MOVE raises)
    finally:
        folder.finish_pass(raise_errors=False)
        folder.start_pass(None)
    store.set_meta(f"{source.key}:last_success", iso(now()))
    stats.seconds = time.monotonic() - started
    stats.finished_at = iso(now())
    level = logging.DEBUG if quiet_if_empty and not stats.pending else logging.INFO
    log.log(level, "pass_done %s", stats.line())
    return stats


__all__ = [
    "QUARANTINE_OUTCOMES",
    "ImapSource",
    "PassStats",
    "open_store",
    "run_pass",
    "safe_parse",
]
