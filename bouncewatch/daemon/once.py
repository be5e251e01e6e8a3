"""`bouncewatch run --once`: one full pass over every mailbox, then exit (cron, the demo)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

from imapclient.exceptions import IMAPClientError

from bouncewatch.daemon.supervisor import load_for_run
from bouncewatch.daemon.worker import credentials_for, describe
from bouncewatch.errors import BouncewatchError, SourceError
from bouncewatch.exits import EX_OK, EX_TEMPFAIL, exit_for, is_permanent
from bouncewatch.service import open_store, run_pass, warn_if_unauthenticated
from bouncewatch.sources.imap import CONNECTION_ERRORS, open_folder
from bouncewatch.store.timefmt import utcnow

log = logging.getLogger("bouncewatch.daemon")


def run_once(config_path: str | Path | None, *, database: str | Path | None = None) -> int:
    """One full pass over every mailbox, then exit; the exit code comes from `exits`.

    A mailbox that cannot be reached does not stop the others (the run ends 75); what
    retrying never fixes (credentials refused, untrusted certificate, damaged database, bad
    configuration) ends the run at once with its own code and one log line."""
    try:
        settings = load_for_run(config_path, database)
        store = open_store(settings, records=True)
        warn_if_unauthenticated(settings)
    except BouncewatchError as exc:
        return exit_for(exc, log)
    code = EX_OK
    stop = threading.Event()
    signals: list[int] = []

    def stop_after_message(signum: int, frame: Any) -> None:
        signals.append(signum)
        stop.set()

    previous = {s: signal.signal(s, stop_after_message) for s in (signal.SIGINT, signal.SIGTERM)}
    committed = 0
    try:
        changes = store.expire_suspensions(utcnow())
        if changes:
            log.info("suspensions_expired count=%d", len(changes))
        for mb in settings.mailboxes:
            try:
                creds = credentials_for(mb)
                folder = open_folder(mb, creds, max_bytes=settings.schedule.max_message_bytes)
            except SourceError as exc:
                if is_permanent(exc):
                    return exit_for(exc, log, mailbox=mb.name, user=mb.username)
                log.error("connection_failed mailbox=%s error=%s", mb.name, describe(exc))
                code = EX_TEMPFAIL
                continue
            folder.batch_count = settings.schedule.batch_size
            try:
                stats = run_pass(folder, store, settings.parse_options, stop=stop)
                committed += stats.parsed + stats.quarantined
            except (SourceError, IMAPClientError, *CONNECTION_ERRORS) as exc:
                log.error("pass_failed mailbox=%s error=%s", mb.name, describe(exc))
                code = EX_TEMPFAIL
            finally:
                folder.logout()
            if stop.is_set():
                break
    except Exception as exc:
        # disk full, I/O error, locked too long: what the failed batch held was rolled back
        # and stays in the mailbox for the next run; a damaged database: stop for good
        if not isinstance(exc, BouncewatchError) and not _is_sqlite(exc):
            raise
        return exit_for(exc, log)
    finally:
        store.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if signals:
        log.warning(
            "interrupted signal=%s committed=%d note=%s",
            signal.Signals(signals[0]).name,
            committed,
            "the message in hand was finished; what was committed was acknowledged, "
            "the rest stays in the mailbox for the next run",
        )
    return code  # interrupted: a clean stop, as the daemon's on SIGTERM


def _is_sqlite(exc: BaseException) -> bool:
    import sqlite3

    return isinstance(exc, sqlite3.Error)
