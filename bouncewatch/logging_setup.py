"""Logging: one line per event, `event=name key=value …`, to stderr.

One dialect for every line, ours and the libraries': `ts=… level=… logger=… event=… key=value`
(logfmt).  A value holding a space, a quote or `=` is quoted (`error="no such file"`): the
`%s` arguments of a log call are quoted here, so call sites write `log.info("x path=%s", p)`.
Exceptions passed as arguments read as text (`ConnectionRefusedError: Connection refused
(ECONNREFUSED)`, never `111` or `b'…'`).  A library's line (imapclient, apscheduler) becomes
`event=library text="…"` under its logger's name; they are quiet below WARNING unless the level
is debug.

Under systemd (stderr connected to the journal, $JOURNAL_STREAM set) each line starts with the
syslog priority prefix "<N>" and carries no timestamp (journald adds its own).  `--log-format
json` (or BOUNCEWATCH_LOG_FORMAT=json) writes one JSON object a line for log shippers, with the
same keys.  A redaction filter removes every registered secret (passwords, tokens) and anything
that looks like a credential from every record, whatever logger wrote it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

LOG_FORMATS = ("text", "json")
FORMAT_ENV = "BOUNCEWATCH_LOG_FORMAT"
LIBRARY_LOGGERS = ("imapclient", "apscheduler")

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
#: a word each of `_PATTERNS` needs (in any case): ASCII text with none of them has nothing
#: for the patterns to find, and is not searched (most log lines)
_PATTERN_WORDS = ("login", "auth", "pass", "secret", "token", "bearer")


class RedactingFilter(logging.Filter):
    """Replaces registered secrets and credential-looking fragments by ***."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._longest_first: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:
            with self._lock:
                self._secrets.add(secret)
                self._longest_first = tuple(sorted(self._secrets, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._longest_first:  # (a tuple, replaced whole when a secret is added)
            if secret in text:
                text = text.replace(secret, REDACTED)
        if text.isascii():
            lowered = text.lower()
            if not any(word in lowered for word in _PATTERN_WORDS):
                return text
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_bouncewatch_done", False):  # two handlers: filter once
            return True
        if record.name == "bouncewatch" or record.name.startswith("bouncewatch."):
            if isinstance(record.msg, str) and record.args and isinstance(record.args, tuple):
                values = _value_positions(record.msg)
                record.args = tuple(
                    self._value(a, quote=i < len(values) and values[i])
                    for i, a in enumerate(record.args)
                )
            message = _with_event(self.redact(record.getMessage()))
        else:  # a library's free text: one quoted value
            message = "event=library text=" + kv(self.redact(record.getMessage()))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.msg, record.args = message, None
        setattr(record, "_bouncewatch_done", True)  # noqa: B010 - an attribute of our own
        return True

    def _value(self, arg: object, *, quote: bool) -> object:
        """A `%s` argument as it goes into a key=value line: numbers as they are, the rest as
        readable, redacted text, quoted where needed when it stands for a value (`key=%s`)."""
        if isinstance(arg, int | float) and not isinstance(arg, bool):
            return arg
        if isinstance(arg, bool) or arg is None:
            text = str(arg).lower() if arg is not None else "-"
        elif isinstance(arg, BaseException):
            text = readable_error(arg)
        elif isinstance(arg, bytes | bytearray):
            text = bytes(arg).decode("utf-8", "replace")
        else:
            text = str(arg)
        text = self.redact(text)
        return kv(text) if quote else text


_SPEC = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")


def _value_positions(template: str) -> list[bool]:
    """For each `%` argument of a log template, whether it stands for a value (`key=%s`);
    anything else (`pass_done %s`: pairs built by the caller) is left unquoted."""
    return [
        m.start() > 0 and template[m.start() - 1] == "="
        for m in _SPEC.finditer(template)
        if m.group() != "%%"
    ]


def _with_event(message: str) -> str:
    """`name k=v` → `event=name k=v` (call sites may leave the `event=` out)."""
    return message if message.startswith("event=") else "event=" + message


_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_pairs(text: str) -> dict[str, str]:
    """The key=value pairs of a line (quoted values unquoted): what the JSON format writes."""
    out = {}
    for key, value in _PAIR.findall(text):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out[key] = value
    return out


class LineFormatter(logging.Formatter):
    """`<N>logger=… event=… k=v` for the journal, `ts=… level=… logger=… event=… k=v` elsewhere.
    A traceback is folded onto the same line (`| `-separated) so one event stays one line."""

    def __init__(self, journal: bool) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = _with_event(record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text += " traceback=" + kv(" | ".join(record.exc_text.splitlines()))
        text = text.replace("\n", "\\n")
        name = record.name.removeprefix("bouncewatch.")
        if self.journal:
            return f"<{_SYSLOG_PRIORITY.get(record.levelno, 6)}>logger={name} {text}"
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        return f"ts={ts} level={record.levelname.lower()} logger={name} {text}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, event and the line's other pairs."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name.removeprefix("bouncewatch."),
        }
        for key, value in parse_pairs(_with_event(record.getMessage())).items():
            out.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["traceback"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


def readable_error(exc: BaseException) -> str:
    """`Type: what happened` in words: an errno by its text and name, bytes decoded."""
    name = type(exc).__name__
    if isinstance(exc, OSError):
        code = exc.errno
        if code is None and len(exc.args) == 1 and isinstance(exc.args[0], int):
            code = exc.args[0]  # ConnectionRefusedError(111)
        if code is not None:
            text = exc.strerror or os.strerror(code)
            detail = f"{text} ({errno.errorcode.get(code, code)})"
            if exc.filename is not None:
                detail = f"{exc.filename}: {detail}"
            return f"{name}: {detail}"
    parts = [
        a.decode("utf-8", "replace") if isinstance(a, bytes | bytearray) else str(a)
        for a in exc.args
    ]
    detail = " ".join(p for p in parts if p) or str(exc)
    detail = _BYTES_REPR.sub(lambda m: m.group(2), detail).replace("\n", " ").strip()
    return f"{name}: {detail}" if detail else name


#: `b'…'` / `b"…"` reprs inside an error's text (imaplib puts the server's bytes there)
_BYTES_REPR = re.compile(r"""\bb(['"])((?:(?!\1)[^\\]|\\.)*)\1""")


_filter = RedactingFilter()


def register_secret(secret: str | None) -> None:
    """Never let `secret` reach a log line."""
    _filter.add_secret(secret)


def redact(text: str) -> str:
    return _filter.redact(text)


def setup_logging(
    level: str | int = "INFO",
    *,
    secrets: Iterable[str | None] = (),
    fmt: str | None = None,
) -> None:
    """Configure the root logger once: stderr, one line per event, redacted.

    `fmt` is "text" or "json" (default: $BOUNCEWATCH_LOG_FORMAT, else text).
    """
    for secret in secrets:
        register_secret(secret)
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            level = logging.INFO
    fmt = (fmt or os.environ.get(FORMAT_ENV) or "text").lower()
    journal = bool(os.environ.get("JOURNAL_STREAM"))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LineFormatter(journal))
    handler.addFilter(_filter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_bouncewatch", False):
            root.removeHandler(old)
    handler._bouncewatch = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    set_level(level)


def set_level(level: str | int) -> None:
    """Our level on the root logger; the libraries' lines only at debug (or from WARNING)."""
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            level = logging.INFO
    logging.getLogger().setLevel(level)
    # imapclient logs every command at DEBUG (its own redaction covers LOGIN only, ours covers
    # the rest) and each connection at INFO; APScheduler each job run at INFO
    quiet = logging.DEBUG if level <= logging.DEBUG else max(level, logging.WARNING)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def kv(value: object) -> str:
    """Format one value for a key=value line: quoted when it holds spaces, quotes or `=`.
    A value already quoted by `kv` is returned as it is (quoting twice changes nothing)."""
    text = str(value)
    if _QUOTED.fullmatch(text):
        return text
    if text == "" or any(c in text for c in ' "=\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
