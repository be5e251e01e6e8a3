"""The daemon: it only supervises.  `supervisor.Daemon` starts one `worker.MailboxWorker` per
mailbox, the poll timer, signals and systemd notifications; `once.run_once` is one pass over
every mailbox.  Each pass is `service.run_pass`; exit codes come from `bouncewatch.exits`.
"""

from bouncewatch.daemon.once import run_once
from bouncewatch.daemon.supervisor import Daemon, load_for_run
from bouncewatch.daemon.worker import Backoff, MailboxWorker, credentials_for, describe
from bouncewatch.errors import StoreError
from bouncewatch.exits import EX_CONFIG, EX_NOPERM, EX_OK, EX_SOFTWARE, EX_TEMPFAIL, exit_for


def _store_exit(exc: StoreError) -> int:
    """The exit code (and its log line) for a database that cannot be opened."""
    import logging

    return exit_for(exc, logging.getLogger("bouncewatch.daemon"))


__all__ = [
    "EX_CONFIG",
    "EX_NOPERM",
    "EX_OK",
    "EX_SOFTWARE",
    "EX_TEMPFAIL",
    "Backoff",
    "Daemon",
    "MailboxWorker",
    "credentials_for",
    "describe",
    "load_for_run",
    "run_once",
]
