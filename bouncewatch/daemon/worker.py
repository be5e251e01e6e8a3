"""One mailbox's worker: connection, database handle, pass → IDLE/wait → pass …

A lost connection, a timeout, a restarted server, a full disk → one log line, then a retry
with exponential backoff and jitter.  What retrying never fixes (`exits.is_permanent`) ends
the daemon through `Daemon.fatal` with the code `exits` gives it.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from imapclient.exceptions import IMAPClientError

from bouncewatch.config import MailboxConfig, Settings, resolve_password
from bouncewatch.errors import ConfigError, SourceError, StoreError
from bouncewatch.exits import exit_for, is_permanent
from bouncewatch.logging_setup import readable_error, register_secret
from bouncewatch.service import PassStats, open_store, run_pass
from bouncewatch.sources.imap import (
    CONNECTION_ERRORS,
    Credentials,
    ImapFolder,
    announces_new_mail,
    open_folder,
)
from bouncewatch.store import Store
from bouncewatch.store.timefmt import utcnow

if TYPE_CHECKING:
    from bouncewatch.daemon.supervisor import Daemon

log = logging.getLogger("bouncewatch.daemon")

#: seconds one idle_check waits before the worker looks at its flags again
IDLE_TICK = 1.0
#: IDLE is re-issued this often (RFC 2177: servers may drop an IDLE after 30 minutes)
IDLE_REFRESH = 25 * 60.0


class Backoff:
    """Exponential backoff with jitter: base·2ⁿ capped, each delay drawn from [½, 1] of it."""

    def __init__(self, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None):
        self.base, self.cap = base, cap
        self.attempt = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2**self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return ceiling * self.rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


def credentials_for(mailbox: MailboxConfig) -> Credentials:
    """Read the secret now (ConfigError if it can't be) and keep it out of every log line."""
    secret = resolve_password(mailbox)
    register_secret(secret)
    if mailbox.auth == "xoauth2":
        return Credentials(mailbox.username, oauth2_token=secret)
    return Credentials(mailbox.username, password=secret)


def describe(exc: BaseException) -> str:
    """An exception in words for a log line (errno text and name, no byte-string reprs)."""
    return readable_error(exc)


@dataclass
class Totals:
    passes: int = 0
    processed: int = 0
    quarantined: int = 0
    last: PassStats | None = None


class MailboxWorker(threading.Thread):
    """Owns one mailbox: connection, database handle, pass → IDLE/wait → pass …"""

    def __init__(self, mailbox: MailboxConfig, settings: Settings, daemon: Daemon) -> None:
        super().__init__(name=f"mailbox-{mailbox.name}", daemon=True)
        self.mailbox = mailbox
        self.settings = settings
        self.owner = daemon
        credentials_for(mailbox)  # unreadable now: a configuration error at start
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.backoff = Backoff()
        self.heartbeat = time.monotonic()
        self.totals = Totals()

    # the pass calls this for every message: it doubles as a sign of life
    def _now(self) -> datetime:
        self.heartbeat = time.monotonic()
        return utcnow()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()

    def run(self) -> None:
        try:
            store = open_store(self.settings, records=True)
        except (StoreError, ConfigError) as exc:  # ConfigError: the VERP secret went missing
            self.owner.fatal(exit_for(exc, log, mailbox=self.mailbox.name))
            return
        try:
            while not self.stop_event.is_set():
                self.heartbeat = time.monotonic()
                try:
                    self._session(store)
                except Exception as exc:
                    # a secret unreadable now (a token file being rewritten) may be back soon
                    if isinstance(exc, ConfigError) or not is_permanent(exc):
                        self._retry(exc)
                        continue
                    # refused credentials, an untrusted certificate, a damaged database:
                    # retrying never helps, so the daemon stops with the code that says why
                    context = {"mailbox": self.mailbox.name, "user": self.mailbox.username}
                    self.owner.fatal(exit_for(exc, log, **context))
                    return
        finally:
            store.close()

    def _retry(self, exc: Exception) -> None:
        if isinstance(exc, (SourceError, IMAPClientError, *CONNECTION_ERRORS)):
            self._pause("connection_lost", exc)
        elif isinstance(exc, ConfigError):  # e.g. a token file being rewritten right now
            self._pause("credentials_unreadable", exc)
        elif isinstance(exc, (StoreError, sqlite3.Error)):  # disk full, I/O error, locked
            self._pause("store_failed", exc)  # the batch was rolled back, not acked
        else:  # never let one bad moment end the daemon
            log.exception("worker_error mailbox=%s error=%s", self.mailbox.name, describe(exc))
            self._pause("worker_error", exc)

    def _pause(self, event: str, exc: BaseException) -> None:
        if self.stop_event.is_set():
            return
        delay = self.backoff.next_delay()
        log.warning(
            "%s mailbox=%s error=%s retry_in=%.1fs attempt=%d",
            event,
            self.mailbox.name,
            describe(exc),
            delay,
            self.backoff.attempt,
        )
        self.owner.status(f"{self.mailbox.name}: {event}, retrying in {delay:.0f}s")
        deadline = time.monotonic() + delay
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            self.heartbeat = time.monotonic()
            self.stop_event.wait(min(1.0, max(0.0, deadline - time.monotonic())))

    def _beat(self, _raw: object = None) -> None:
        """A sign of life after each message of a pass (the watchdog pings go on during a long
        pass; each message's parse is bounded by its time budget)."""
        self.heartbeat = time.monotonic()

    def _session(self, store: Store) -> None:
        # read at every connection: OAuth2 access tokens expire and are refreshed in their
        # file by another program; a password file may be rotated
        credentials = credentials_for(self.mailbox)
        folder = open_folder(
            self.mailbox, credentials, max_bytes=self.settings.schedule.max_message_bytes
        )
        folder.batch_count = self.settings.schedule.batch_size
        log.info(
            "connected mailbox=%s host=%s port=%d security=%s idle=%s move=%s",
            self.mailbox.name,
            self.mailbox.host,
            self.mailbox.port,
            self.mailbox.security,
            str(folder.can_idle()).lower(),
            str(folder.has("MOVE")).lower(),
        )
        try:
            use_idle = self.settings.schedule.idle and folder.can_idle()
            first = True
            while not self.stop_event.is_set():
                self.wake.clear()
                stats = run_pass(
                    folder,
                    store,
                    self.settings.parse_options,
                    stop=self.stop_event,
                    now=self._now,
                    quiet_if_empty=not first,
                    on_message=self._beat,
                )
                first = False
                self.backoff.reset()
                self.owner.passed(self, stats)
                if self.stop_event.is_set():
                    break
                if use_idle:
                    self._idle(folder)
                else:
                    while not self.wake.wait(IDLE_TICK):  # until the poll timer fires
                        self.heartbeat = time.monotonic()
        finally:
            folder.logout()

    def _idle(self, folder: ImapFolder) -> None:
        """Wait in IDLE until new mail, a poll tick, a stop, or a refresh is due."""
        folder.idle_start()
        started = time.monotonic()
        suspicious = False
        try:
            while not self.wake.is_set() and time.monotonic() - started < IDLE_REFRESH:
                self.heartbeat = t0 = time.monotonic()
                responses = folder.idle_wait(IDLE_TICK)
                if announces_new_mail(responses):
                    log.debug("idle_new_mail mailbox=%s", self.mailbox.name)
                    return
                if not responses and time.monotonic() - t0 < IDLE_TICK / 2:
                    # a dead connection makes idle_check return at once, forever
                    suspicious = True
                    return
        finally:
            folder.idle_stop()  # raises when the connection is gone: the caller reconnects
            if suspicious:
                folder.noop()
