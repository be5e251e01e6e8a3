"""The long-running process: one worker thread per mailbox, a poll timer, signals, systemd.

Each mailbox has one worker thread (`worker.MailboxWorker`) that owns its IMAP connection and
its database handle.  The worker runs a pass (service.run_pass), then waits in IMAP IDLE where
the server offers it (a new message is processed about a second after it arrives) or sleeps
until the next poll.  The APScheduler timer wakes every worker each `poll_interval`: the safety
net for servers without IDLE and for notifications that never came.  Another job ends expired
suspensions.

Failures: what retrying can fix → the worker backs off and retries, never exits; what it
can't (refused credentials, a bad configuration, an untrusted certificate, a damaged
database) → the exit code `bouncewatch.exits` gives it, which the unit's
RestartPreventExitStatus= keeps systemd from restart-looping on.

Signals: SIGTERM / SIGINT finish the message in hand, commit, acknowledge it and exit 0;
SIGHUP re-reads the configuration (a broken new file is logged and the old one kept).
systemd: READY=1 once the workers run, STATUS= with the last pass figures, WATCHDOG=1 while
every worker shows signs of life, RELOADING=1 / STOPPING=1.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bouncewatch.config import Settings, check_for_run, load_config, resolve_password
from bouncewatch.daemon.worker import MailboxWorker, credentials_for, describe
from bouncewatch.errors import ConfigError, StoreError
from bouncewatch.exits import EX_OK, exit_for
from bouncewatch.logging_setup import set_level
from bouncewatch.sdnotify import Notifier, watchdog_interval
from bouncewatch.service import PassStats, open_store, warn_if_unauthenticated
from bouncewatch.store.timefmt import utcnow

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("bouncewatch.daemon")

#: a worker that showed no sign of life for this long stops the watchdog pings
STALE_AFTER = 15 * 60.0
#: how often suspensions that ran out are ended
EXPIRE_EVERY = 3600.0


def load_for_run(config_path: str | Path | None, database: str | Path | None) -> Settings:
    """The settings `run` starts with: the same validation as `check-config`."""
    settings = load_config(config_path)
    if database is not None:
        settings = settings.with_database(database)
    set_level(settings.log.level)  # the libraries' lines too: only at debug
    return check_for_run(settings)


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
        return load_for_run(self.config_path, self.database)

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
        # imported here: `run --once` has no scheduler (about 20 ms of its start-up)
        from apscheduler.schedulers.background import BackgroundScheduler

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
            with open_store(settings, records=True):
                pass  # create / migrate / check the database (and the VERP secrets) first
            warn_if_unauthenticated(settings)
            for mb in settings.mailboxes:
                credentials_for(mb)
        except (ConfigError, StoreError) as exc:
            return exit_for(exc, log)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        try:
            self._start(settings)
        except ConfigError as exc:
            return exit_for(exc, log)
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
            committed = sum(w.totals.processed + w.totals.quarantined for w in self.workers)
            log.info(
                "stopped exit_code=%d committed=%d note=%s",
                code,
                committed,
                "every message recorded was acknowledged; the rest stay in the mailbox",
            )
        return code
