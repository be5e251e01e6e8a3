"""Logging: one line per event, `event key=value …`, to stderr.

Under systemd (stderr connected to the journal, $JOURNAL_STREAM set) each line starts with the
syslog priority prefix "<N>" and carries no timestamp (journald adds its own); elsewhere a UTC
timestamp and the level lead.  A redaction filter removes every registered secret (passwords,
tokens) and anything that looks like a credential from every record, whatever logger wrote it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterable

_SYSLOG_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}

#: credential-looking fragments, whatever the logger: IMAP LOGIN / AUTHENTICATE arguments,
#: key=value pairs named like secrets, HTTP bearer tokens.
_PATTERNS = (
    re.compile(r"(?i)(\bLOGIN\s+\S+\s+)(\"(?:[^\"\\]|\\.)*\"|\S+)"),
    re.compile(r"(?i)(\bAUTHENTICATE\s+\S+\s+)(\S+)"),
    re.compile(r"(?i)\b((?:password|passwd|secret|token|access_token|auth)=)(\"[^\"]*\"|\S+)"),
    re.compile(r"(?i)(\bBearer\s+)(\S+)"),
)
REDACTED = "***"


class RedactingFilter(logging.Filter):
    """Replaces registered secrets and credential-looking fragments by ***."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:
            with self._lock:
                self._secrets.add(secret)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = self.redact(message)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.msg, record.args = clean, None
        return True


class LineFormatter(logging.Formatter):
    """`<N>logger event k=v` for the journal, `2026-…Z LEVEL logger event k=v` elsewhere.
    A traceback is folded onto the same line (`| `-separated) so one event stays one line."""

    def __init__(self, journal: bool) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text += " traceback=" + " | ".join(record.exc_text.splitlines())
        text = text.replace("\n", "\\n")
        name = record.name.removeprefix("bouncewatch.")
        if self.journal:
            return f"<{_SYSLOG_PRIORITY.get(record.levelno, 6)}>{name}: {text}"
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        return f"{ts} {record.levelname} {name}: {text}"


_filter = RedactingFilter()


def register_secret(secret: str | None) -> None:
    """Never let `secret` reach a log line."""
    _filter.add_secret(secret)


def redact(text: str) -> str:
    return _filter.redact(text)


def setup_logging(level: str | int = "INFO", *, secrets: Iterable[str | None] = ()) -> None:
    """Configure the root logger once: stderr, one line per event, redacted."""
    for secret in secrets:
        register_secret(secret)
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            level = logging.INFO
    journal = bool(os.environ.get("JOURNAL_STREAM"))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(journal))
    handler.addFilter(_filter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_bouncewatch", False):
            root.removeHandler(old)
    handler._bouncewatch = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # imapclient logs every command at DEBUG (its own redaction covers LOGIN only)
    logging.getLogger("imapclient").setLevel(max(level, logging.INFO))
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


def kv(value: object) -> str:
    """Format one value for a key=value line: quoted when it holds spaces or quotes."""
    text = str(value)
    if text == "" or any(c in text for c in ' "=\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
