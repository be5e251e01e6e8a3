"""A bounded IMAP transport: what one connection may cost, whatever the server does.

imaplib reads a server's answers with no overall deadline (a server that sends one byte every
20 seconds never trips a socket timeout) and reads every literal whole at the size the server
announces (`{53687091200}` ends in MemoryError; a literal bigger than the message's
RFC822.SIZE is read whole, whatever `max_message_bytes` says).  This module bounds both through
imapclient's documented seam, `IMAPClient._create_IMAP4`, which returns an `imaplib.IMAP4`
subclass whose `read` / `readline` are bounded:

- a **deadline per command**: every command (its `send`) starts a clock; reading its answer
  past `command_timeout` seconds raises `imaplib.IMAP4.abort`, however slowly the bytes come;
- a **deadline per pass**: `set_pass_deadline()` bounds every command of a pass as well;
- a **literal limit**: a literal bigger than `literal_limit` bytes keeps its first
  `literal_limit` bytes; the rest is read and dropped in small chunks (memory stays bounded,
  the connection stays in step), and `truncated_literals` counts it.  The response line that
  announces the literal is rewritten to announce the part kept, so imaplib and imapclient
  see a consistent answer.  The caller sets the
  limit one byte above the message cap, so a body longer than the cap is known to be cut.

Nothing here patches `imaplib`, `ssl` or `socket`: the classes below are subclasses, and only
connections made through `BoundedIMAPClient` behave this way.
"""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.imap4 import IMAP4WithTimeout
from imapclient.tls import IMAP4_TLS

#: how much is read from the socket at a time
CHUNK = 256 * 1024
#: the longest response line accepted (imaplib's own limit)
MAX_LINE = 1_000_000
#: a response line that announces a literal ends with its size: "{1234}"
_LITERAL_AT_END = re.compile(rb"\{(\d+)\}\r?\n?$")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one IMAP connection may cost."""

    #: seconds one command may take, from sending it to the last byte of its answer
    command_timeout: float = 120.0
    #: seconds one socket read may wait for a byte (a dead server is noticed sooner)
    read_timeout: float = 30.0
    #: the most bytes of one literal kept in memory; None: no limit
    literal_limit: int | None = None


class _BoundedReads:
    """Mixin over an `imaplib.IMAP4` class: `read` / `readline` under a deadline and a
    literal limit, with a buffer of its own over `self.sock`."""

    sock: socket.socket
    abort: type[Exception]

    def __init__(self, *args: Any, limits: Limits, **kwargs: Any) -> None:
        self.limits = limits
        self.literal_limit = limits.literal_limit
        self.truncated_literals = 0
        self._buffer = bytearray()
        self._drop_after_literal = 0
        self._pass_deadline: float | None = None
        # the greeting is read inside imaplib's __init__: it is bounded too
        self._deadline: float | None = time.monotonic() + limits.command_timeout
        super().__init__(*args, **kwargs)

    # --- deadlines ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Every command starts its own clock."""
        self._deadline = time.monotonic() + self.limits.command_timeout
        super().send(data)  # type: ignore[misc]

    def allow(self, seconds: float) -> None:
        """Let the answer now awaited take `seconds` more than a command may (IDLE)."""
        self._deadline = time.monotonic() + seconds + self.limits.command_timeout

    def set_pass_deadline(self, seconds: float | None) -> None:
        """Bound every command from now on to end within `seconds` (None: no pass bound)."""
        self._pass_deadline = None if seconds is None else time.monotonic() + seconds

    def _remaining(self) -> float:
        deadlines = [d for d in (self._deadline, self._pass_deadline) if d is not None]
        if not deadlines:
            return self.limits.read_timeout
        left = min(deadlines) - time.monotonic()
        if left <= 0:
            which = (
                "pass"
                if self._pass_deadline is not None and self._pass_deadline <= min(deadlines)
                else "command"
            )
            raise self.abort(f"{which} deadline passed: the server answers too slowly")
        return left

    def _fill(self) -> bool:
        """Read one chunk more into the buffer, within the deadline; False at end of stream."""
        left = self._remaining()
        sock = self.sock
        if sock.gettimeout() != 0.0:  # IDLE polls with a non-blocking socket: leave it so
            sock.settimeout(min(self.limits.read_timeout, left))
        try:
            chunk = sock.recv(CHUNK)
        except TimeoutError:
            self._remaining()  # raises when the deadline, not the read timeout, ran out
            raise
        self._buffer += chunk
        return bool(chunk)

    # --- imaplib's two reads -----------------------------------------------------------------

    def readline(self) -> bytes:
        line = self._readline()
        m = _LITERAL_AT_END.search(line)
        if m is not None and self.literal_limit is not None:
            size = int(m.group(1))
            if size > self.literal_limit:
                # the line announces a literal over the limit: imaplib (and imapclient, which
                # checks the size) are told of the part kept; read() drops the rest
                self.truncated_literals += 1
                self._drop_after_literal = size - self.literal_limit
                line = line[: m.start()] + b"{%d}\r\n" % self.literal_limit
        return line

    def _readline(self) -> bytes:
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return line
            if len(self._buffer) > MAX_LINE:
                raise self.abort(f"response line longer than {MAX_LINE} bytes")
            start = len(self._buffer)
            if not self._fill():  # end of stream: imaplib reports what is left
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise self.abort("socket error: EOF in the middle of a literal")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        drop, self._drop_after_literal = self._drop_after_literal, 0
        while drop > 0:  # the rest of an oversized literal: read, counted, not kept
            if not self._buffer and not self._fill():
                raise self.abort("socket error: EOF in the middle of a literal")
            n = min(drop, len(self._buffer))
            del self._buffer[:n]
            drop -= n
        return data

    def shutdown(self) -> None:
        self._buffer.clear()
        super().shutdown()  # type: ignore[misc]


class BoundedIMAP4(_BoundedReads, IMAP4WithTimeout):
    """Plain (or STARTTLS) IMAP with bounded reads."""


class BoundedIMAP4TLS(_BoundedReads, IMAP4_TLS):
    """IMAP over TLS with bounded reads."""


class BoundedIMAPClient(IMAPClient):
    """An IMAPClient whose connection is a bounded transport (see the module's docstring)."""

    def __init__(self, host: str, *, limits: Limits | None = None, **kwargs: Any) -> None:
        self.limits = limits or Limits()
        super().__init__(host, **kwargs)
        # imapclient sets imaplib's debug level to 5 so that imaplib logs to the
        # "imapclient.imaplib" logger: imaplib then formats every line it reads, every match
        # and every untagged response (a FETCH answer's bodies included) before the logger
        # drops them.  Only when that logger would print them is the level kept.
        if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
            self._imap.debug = 0

    def _create_IMAP4(self) -> imaplib.IMAP4:
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return BoundedIMAP4TLS(
                self.host, self.port, self.ssl_context, connect_timeout, limits=self.limits
            )
        return BoundedIMAP4(self.host, self.port, connect_timeout, limits=self.limits)

    @property
    def transport(self) -> _BoundedReads:
        """The bounded connection under this client."""
        return self._imap


__all__ = ["BoundedIMAP4", "BoundedIMAP4TLS", "BoundedIMAPClient", "Limits"]
