"""Exit codes by cause, decided in one place.

Retrying helps → 75 (EX_TEMPFAIL: systemd restarts the unit, Postfix keeps the message).
Retrying never will → a code the unit lists in ``RestartPreventExitStatus=`` and one log line
saying what to fix: refused credentials (77), a bad configuration, an untrusted TLS
certificate or a damaged/foreign database (78).  `EXIT_CODES` is the table the README, `run
--help` and the systemd unit are checked against.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from bouncewatch.errors import (
    AuthenticationError,
    CertificateError,
    ConfigError,
    SourceError,
    StoreBusyError,
    StoreDamagedError,
    StoreError,
    StoreWriteError,
)

EX_OK = 0
EX_SOFTWARE = 70
EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78


@dataclass(frozen=True, slots=True)
class ExitCode:
    code: int
    meaning: str
    restart: bool  #: whether systemd restarts the unit on it


EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(EX_OK, "clean stop (SIGTERM / SIGINT), or `--once` finished", False),
    ExitCode(
        EX_TEMPFAIL,
        "try later: a mailbox could not be reached, or the database was locked or failed "
        "while recording (nothing uncommitted was acknowledged)",
        True,
    ),
    ExitCode(EX_NOPERM, "the IMAP server refused the credentials", False),
    ExitCode(
        EX_CONFIG,
        "configuration error, an untrusted TLS certificate, or a database that is damaged, "
        "foreign or newer",
        False,
    ),
)

#: the codes systemd must not restart on (the unit's RestartPreventExitStatus=)
NO_RESTART = tuple(e.code for e in EXIT_CODES if e.code != EX_OK and not e.restart)

_DAMAGE_NAMES = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})


def is_damage(exc: BaseException) -> bool:
    """True for SQLite's "database disk image is malformed" / "file is not a database"."""
    if isinstance(exc, StoreDamagedError):
        return True
    if isinstance(exc, sqlite3.DatabaseError):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc).lower()
        return name.startswith(tuple(_DAMAGE_NAMES)) or "malformed" in text
    return False


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, event name) for an error that ends `run` or `run --once`."""
    if isinstance(exc, ConfigError):
        return EX_CONFIG, "config_error"
    if isinstance(exc, AuthenticationError):
        return EX_NOPERM, "authentication_failed"
    if isinstance(exc, CertificateError):
        return EX_CONFIG, "certificate_untrusted"
    if is_damage(exc):
        return EX_CONFIG, "store_damaged"
    if isinstance(exc, StoreBusyError):
        return EX_TEMPFAIL, "store_busy"
    if isinstance(exc, (StoreWriteError, sqlite3.Error)):
        return EX_TEMPFAIL, "store_failed"
    if isinstance(exc, StoreError):
        return EX_CONFIG, "store_unusable"  # refused at open: foreign, newer, unreadable
    if isinstance(exc, SourceError):
        return EX_TEMPFAIL, "connection_failed"
    return EX_SOFTWARE, "internal_error"


def is_permanent(exc: BaseException) -> bool:
    """True when retrying cannot help (the daemon stops instead of backing off)."""
    return classify(exc)[0] in NO_RESTART


def exit_for(exc: BaseException, log: logging.Logger, **context: object) -> int:
    """Log the one line that says why the process ends, and return its exit code."""
    from bouncewatch.logging_setup import kv

    code, event = classify(exc)
    where = "".join(f" {k}={kv(str(v))}" for k, v in context.items())
    action = "exit_retry_later" if code == EX_TEMPFAIL else "exit"
    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ConfigError) else str(exc)
    log.error("%s%s error=%s action=%s exit_code=%d", event, where, kv(text), action, code)
    return code


__all__ = [
    "EXIT_CODES",
    "EX_CONFIG",
    "EX_NOPERM",
    "EX_OK",
    "EX_SOFTWARE",
    "EX_TEMPFAIL",
    "NO_RESTART",
    "ExitCode",
    "classify",
    "exit_for",
    "is_damage",
    "is_permanent",
]
