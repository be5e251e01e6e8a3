"""The long-running process: one worker thread per mailbox, a poll timer, signals, systemd.

Each mailbox has one worker thread that owns its IMAP connection and its database handle.
The worker runs a pass (service.run_pass), then waits in IMAP IDLE where the server offers it
(a new message is processed about a second after it arrives) or sleeps until the next poll.
The APScheduler timer wakes every worker each `poll_interval`: the safety net for servers
without IDLE and for notifications that never came.  Another job ends expired suspensions.

Failures: a lost connection, a timeout, a restarted server → log one line, reconnect with
exponential backoff and jitter, never exit.  Refused credentials → exit 77 (EX_NOPERM), a bad
configuration → exit 78 (EX_CONFIG); the unit's RestartPreventExitStatus=77 78 stops systemd
from restart-looping on either.

Signals: SIGTERM / SIGINT finish the message in hand, commit, acknowledge it and exit 0;
SIGHUP re-reads the configuration (a broken new file is logged and the old one kept).
systemd: READY=1 once the workers run, STATUS= with the last pass figures, WATCHDOG=1 while
every worker shows signs of life, RELOADING=1 / STOPPING=1.
"""

from __future__ import annotations

import logging
import random
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from imapclient.exceptions import IMAPClientError

from bouncewatch.config import MailboxConfig, Settings, load_config, resolve_password
from bouncewatch.errors import (
    AuthenticationError,
    ConfigError,
    SourceError,
    StoreBusyError,
    StoreError,
)
from bouncewatch.logging_setup import register_secret
from bouncewatch.sdnotify import Notifier, watchdog_interval
from bouncewatch.service import PassStats, run_pass
from bouncewatch.sources.imap import (
    CONNECTION_ERRORS,
    Credentials,
    ImapFolder,
    announces_new_mail,
    open_folder,
)
from bouncewatch.store import Store
from bouncewatch.store.timefmt import utcnow

log = logging.getLogger("bouncewatch.daemon")

EX_OK = 0
EX_SOFTWARE = 70
EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78

#: seconds one idle_check waits before the worker looks at its flags again
IDLE_TICK = 1.0
#: IDLE is re-issued this often (RFC 2177: servers may drop an IDLE after 30 minutes)
IDLE_REFRESH = 25 * 60.0
#: a worker that showed no sign of life for this long stops the watchdog pings
STALE_AFTER = 15 * 60.0
#: how often suspensions that ran out are ended
EXPIRE_EVERY = 3600.0


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


def open_store(settings: Settings) -> Store:
    return Store.open(
        settings.database, policy=settings.policy, parse_options=settings.parse_options
    )


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}".replace("\n", " ")


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
            store = open_store(self.settings)
        except StoreError as exc:
            log.error("store_unusable mailbox=%s error=%s", self.mailbox.name, describe(exc))
            self.owner.fatal(EX_TEMPFAIL if isinstance(exc, StoreBusyError) else EX_CONFIG)
            return
        try:
            while not self.stop_event.is_set():
                self.heartbeat = time.monotonic()
                try:
                    self._session(store)
                except AuthenticationError as exc:
                    log.error(
                        "authentication_failed mailbox=%s user=%s error=%s action=exit",
                        self.mailbox.name,
                        self.mailbox.username,
                        describe(exc),
                    )
                    self.owner.fatal(EX_NOPERM)
                    return
                except (SourceError, IMAPClientError, *CONNECTION_ERRORS) as exc:
                    self._pause("connection_lost", exc)
                except ConfigError as exc:  # e.g. a token file being rewritten right now
                    self._pause("credentials_unreadable", exc)
                except (StoreError, sqlite3.Error) as exc:  # disk full, I/O error, locked
                    self._pause("store_failed", exc)  # the batch was rolled back, not acked
                except Exception as exc:  # never let one bad moment end the daemon
                    log.exception(
                        "worker_error mailbox=%s error=%s", self.mailbox.name, describe(exc)
                    )
                    self._pause("worker_error", exc)
        finally:
            store.close()

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


class Daemon:
    """Starts the workers and the timer, handles signals, talks to systemd."""

    def __init__(
        self,
        config_path: str | Path | None,
        *,
        database: str | Path | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.config_path = config_path
        self.database = database
        self.notifier = notifier or Notifier()
        self.settings: Settings | None = None
        self.workers: list[MailboxWorker] = []
        self.scheduler: BackgroundScheduler | None = None
        self.exit_code: int | None = None
        self._lock = threading.Lock()
        self._stop_requested = False
        self._reload_requested = False

    # --- configuration ---------------------------------------------------------------------

    def load(self) -> Settings:
        settings = load_config(self.config_path)
        if self.database is not None:
            settings = settings.with_database(self.database)
        level = settings.log.level.upper()
        logging.getLogger().setLevel(level)
        if not settings.mailboxes:
            raise ConfigError(f"{self.config_path}: no [[mailbox]] configured; nothing to watch")
        return settings

    # --- called from workers ---------------------------------------------------------------

    def fatal(self, code: int) -> None:
        with self._lock:
            if self.exit_code is None:
                self.exit_code = code
        self._stop_requested = True

    def passed(self, worker: MailboxWorker, stats: PassStats) -> None:
        with self._lock:
            t = worker.totals
            t.passes += 1
            t.processed += stats.parsed
            t.quarantined += stats.quarantined
            t.last = stats
        self.status(
            f"{stats.mailbox}: last poll {stats.finished_at} fetched={stats.fetched} "
            f"parsed={stats.parsed} quarantined={stats.quarantined} "
            f"duplicates={stats.duplicates}; since start processed={t.processed} "
            f"quarantined={t.quarantined}"
        )

    def status(self, text: str) -> None:
        self.notifier.status(text)

    # --- life cycle ------------------------------------------------------------------------

    def _start(self, settings: Settings) -> None:
        workers = [MailboxWorker(mb, settings, self) for mb in settings.mailboxes]
        self.settings = settings
        self.workers = workers
        for w in workers:
            w.start()
        scheduler = BackgroundScheduler(timezone=UTC)
        interval = settings.schedule.poll_interval.total_seconds()
        scheduler.add_job(
            self._poll_tick, "interval", seconds=interval, id="poll", coalesce=True,
            max_instances=1, misfire_grace_time=None,
        )  # fmt: skip
        scheduler.add_job(
            self._expire, "interval", seconds=EXPIRE_EVERY, id="expire", coalesce=True,
            max_instances=1, next_run_time=datetime.now(UTC),
        )  # fmt: skip
        scheduler.start()
        self.scheduler = scheduler
        log.info(
            "started mailboxes=%s poll_interval=%ds idle=%s database=%s",
            ",".join(m.name for m in settings.mailboxes),
            int(interval),
            str(settings.schedule.idle).lower(),
            settings.database,
        )

    def _stop_workers(self, timeout: float = 60.0) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        for w in self.workers:
            w.stop()
        deadline = time.monotonic() + timeout
        for w in self.workers:
            w.join(max(0.1, deadline - time.monotonic()))
            if w.is_alive():
                log.warning("worker_still_busy mailbox=%s", w.mailbox.name)
        self.workers = []

    def _poll_tick(self) -> None:
        for w in list(self.workers):
            w.wake.set()

    def _expire(self) -> None:
        assert self.settings is not None
        try:
            with open_store(self.settings) as store:
                changes = store.expire_suspensions(utcnow())
            if changes:
                log.info("suspensions_expired count=%d", len(changes))
        except Exception as exc:  # the next run tries again
            log.warning("expire_failed error=%s", describe(exc))

    def _on_signal(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGHUP:
            self._reload_requested = True
        else:
            self._stop_requested = True

    def _reload(self) -> None:
        self.notifier.reloading()
        log.info("reload_requested config=%s", self.config_path)
        try:
            settings = self.load()
            for mb in settings.mailboxes:
                resolve_password(mb)  # fail before stopping anything
        except ConfigError as exc:
            log.error("reload_failed error=%s action=keep_running_with_old_config", exc)
            self.notifier.ready("reload failed; running with the previous configuration")
            return
        self._stop_workers()
        self._start(settings)
        self.notifier.ready("configuration reloaded")
        log.info("reloaded mailboxes=%d", len(settings.mailboxes))

    def _healthy(self) -> bool:
        now = time.monotonic()
        return all(w.is_alive() and now - w.heartbeat < STALE_AFTER for w in self.workers)

    def run(self) -> int:
        """Run until SIGTERM / SIGINT or a fatal error; return the exit code."""
        try:
            settings = self.load()
            with open_store(settings):
                pass  # create / migrate / check the database before anything else
            for mb in settings.mailboxes:
                credentials_for(mb)
        except ConfigError as exc:
            log.error("config_error error=%s action=exit", exc)
            return EX_CONFIG
        except StoreError as exc:
            return _store_exit(exc)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        try:
            self._start(settings)
        except ConfigError as exc:
            log.error("config_error error=%s action=exit", exc)
            return EX_CONFIG
        self.notifier.ready(f"watching {len(settings.mailboxes)} mailbox(es)")
        ping_every = watchdog_interval()
        last_ping = 0.0
        try:
            while not self._stop_requested:
                time.sleep(0.2)
                if self._reload_requested:
                    self._reload_requested = False
                    self._reload()
                if ping_every and time.monotonic() - last_ping >= ping_every and self._healthy():
                    self.notifier.watchdog()
                    last_ping = time.monotonic()
        finally:
            code = self.exit_code if self.exit_code is not None else EX_OK
            self.notifier.stopping("finishing the message in hand")
            log.info("stopping reason=%s", "signal" if code == EX_OK else f"exit_{code}")
            self._stop_workers()
            log.info("stopped exit_code=%d", code)
        return code


def _store_exit(exc: StoreError) -> int:
    """A database another process keeps locked is worth a restart later (75, which systemd
    restarts on); an unusable one is not (78)."""
    if isinstance(exc, StoreBusyError):
        log.error("store_busy error=%s action=exit_retry_later", exc)
        return EX_TEMPFAIL
    log.error("store_unusable error=%s action=exit", exc)
    return EX_CONFIG


def run_once(config_path: str | Path | None, *, database: str | Path | None = None) -> int:
    """One full pass over every mailbox, then exit (cron, the demo).

    Exit codes: 0 done, 75 a mailbox could not be reached or the database failed while
    recording (try later), 77 credentials refused, 78 bad configuration or database."""
    daemon = Daemon(config_path, database=database)
    try:
        settings = daemon.load()
        store = open_store(settings)
    except ConfigError as exc:
        log.error("config_error error=%s action=exit", exc)
        return EX_CONFIG
    except StoreError as exc:
        return _store_exit(exc)
    code = EX_OK
    try:
        changes = store.expire_suspensions(utcnow())
        if changes:
            log.info("suspensions_expired count=%d", len(changes))
        for mb in settings.mailboxes:
            try:
                creds = credentials_for(mb)
                folder = open_folder(mb, creds, max_bytes=settings.schedule.max_message_bytes)
            except ConfigError as exc:
                log.error("config_error error=%s action=exit", exc)
                return EX_CONFIG
            except AuthenticationError as exc:
                log.error(
                    "authentication_failed mailbox=%s user=%s error=%s action=exit",
                    mb.name,
                    mb.username,
                    describe(exc),
                )
                return EX_NOPERM
            except SourceError as exc:
                log.error("connection_failed mailbox=%s error=%s", mb.name, describe(exc))
                code = EX_TEMPFAIL
                continue
            folder.batch_count = settings.schedule.batch_size
            try:
                run_pass(folder, store, settings.parse_options)
            except (SourceError, IMAPClientError, *CONNECTION_ERRORS) as exc:
                log.error("pass_failed mailbox=%s error=%s", mb.name, describe(exc))
                code = EX_TEMPFAIL
            finally:
                folder.logout()
    except (StoreError, sqlite3.Error) as exc:
        # disk full, I/O error, locked too long: what the failed batch held was rolled back
        # and stays in the mailbox for the next run
        log.error("store_failed error=%s action=exit", describe(exc))
        return EX_TEMPFAIL
    finally:
        store.close()
    return code
