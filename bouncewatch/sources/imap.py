"""IMAP source: connect, fetch by UID in bounded batches, acknowledge, IDLE.

`connect()` is the one place a connection is made (the seam for tests and for other
transports).  `ImapFolder` wraps a logged-in `IMAPClient` on one mailbox folder and offers what
a pass needs: select (UIDVALIDITY), the UIDs still to process, fetch in batches bounded by count
and bytes, acknowledge (move / copy+expunge / flag / delete; unrecognised → quarantine folder),
and IDLE.

Errors: `AuthenticationError` when the server refuses the credentials (retrying won't help);
`SourceError` for everything else that a reconnect may cure (refused connection, timeouts,
TLS failures, a server that went away mid-command).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import ssl
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError

from bouncewatch.errors import AuthenticationError, CertificateError, SourceError
from bouncewatch.hosts import is_loopback
from bouncewatch.model import RawMessage
from bouncewatch.sources.imap_transport import BoundedIMAPClient, Limits

log = logging.getLogger("bouncewatch.sources.imap")

#: Keyword set on processed messages when `after = "flag"` (with \\Seen).
PROCESSED_KEYWORD = "$BouncewatchProcessed"
#: A batch holds at most this many messages ...
BATCH_MAX_COUNT = 200
#: ... and at most this many bytes (a single bigger message gets a batch of its own).
BATCH_MAX_BYTES = 16 * 1024 * 1024
#: Default socket timeout: a hung server is noticed, a slow FETCH of a big batch is not cut.
DEFAULT_TIMEOUT = 30.0
#: The most one command may take, however slowly the server answers (bounded transport).
COMMAND_TIMEOUT = 120.0
#: The most one pass may take: past it the pass stops with a SourceError, what it committed
#: stays committed, and the next pass (after a reconnect) goes on from there.
PASS_TIMEOUT = 30 * 60.0
#: TCP connect timeout (a host that drops SYNs).
CONNECT_TIMEOUT = 15.0

#: What a broken or vanished connection raises (besides SourceError of our own).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, imaplib.IMAP4.abort, EOFError)


class MailboxSettings(Protocol):
    """The mailbox fields this module reads (config.MailboxConfig provides them)."""

    name: str
    host: str
    port: int
    security: str  # tls | starttls | plain
    username: str
    ca_file: str | os.PathLike[str] | None
    folder: str
    processed_folder: str
    quarantine_folder: str
    untrusted_folder: str
    after: str  # move | flag | delete


@dataclass(frozen=True, slots=True)
class Credentials:
    """A password or an OAuth2 access token.  Never printed."""

    username: str
    password: str | None = None
    oauth2_token: str | None = None

    def __repr__(self) -> str:
        kind = "oauth2" if self.oauth2_token else "password"
        return f"Credentials(username={self.username!r}, {kind}=<redacted>)"

    __str__ = __repr__


# --- connecting --------------------------------------------------------------------------------


def tls_context(ca_file: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """Verifying context: system CAs, or only `ca_file` when given; TLS 1.2 or newer."""
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def connect(
    mailbox: MailboxSettings, credentials: Credentials, *, timeout: float = DEFAULT_TIMEOUT
) -> IMAPClient:
    """Open, secure and log in one connection.  Raises AuthenticationError or SourceError."""
    security = (mailbox.security or "tls").lower()
    timeouts = SocketTimeout(connect=min(timeout, CONNECT_TIMEOUT), read=timeout)
    limits = Limits(command_timeout=COMMAND_TIMEOUT, read_timeout=timeout)
    where = f"{mailbox.host}:{mailbox.port}"
    if security == "plain" and not is_loopback(mailbox.host):
        raise SourceError(
            f'mailbox {mailbox.name!r}: security = "plain" is only allowed for a loopback '
            f"host, not {mailbox.host!r}; use tls or starttls"
        )
    if security not in ("tls", "starttls", "plain"):
        raise SourceError(f"mailbox {mailbox.name!r}: unknown security {security!r}")
    try:
        if security == "tls":
            client: IMAPClient = BoundedIMAPClient(
                mailbox.host,
                port=mailbox.port,
                ssl=True,
                ssl_context=tls_context(mailbox.ca_file),
                timeout=timeouts,
                limits=limits,
            )
        else:
            client = BoundedIMAPClient(
                mailbox.host, port=mailbox.port, ssl=False, timeout=timeouts, limits=limits
            )
            if security == "starttls":
                if not client.has_capability("STARTTLS"):
                    _quietly_close(client)
                    raise SourceError(f"{where} does not offer STARTTLS")
                client.starttls(tls_context(mailbox.ca_file))
    except ssl.SSLCertVerificationError as exc:
        raise CertificateError(
            f"TLS certificate of {where} not trusted: {exc.verify_message}"
        ) from exc
    except (*CONNECTION_ERRORS, IMAPClientError) as exc:
        raise SourceError(f"cannot connect to {where}: {_describe(exc)}") from exc
    client.normalise_times = False
    try:
        if credentials.oauth2_token:
            client.oauth2_login(credentials.username, credentials.oauth2_token)
        else:
            client.login(credentials.username, credentials.password or "")
    except LoginError as exc:
        _quietly_close(client)
        text = _describe(exc)
        # imapclient turns every error during LOGIN / AUTHENTICATE into LoginError, a
        # connection that broke as well: only a refusal by the server is an authentication
        # failure
        if isinstance(exc.__context__, CONNECTION_ERRORS):
            raise SourceError(f"login to {where} failed: {text}") from exc
        if "UNAVAILABLE" in text or "[INUSE]" in text:  # RFC 5530: temporary, try again
            raise SourceError(f"{where} cannot log in now: {text}") from exc
        raise AuthenticationError(
            f"{where} refused the credentials of {credentials.username!r}: {text}"
        ) from exc
    except (*CONNECTION_ERRORS, IMAPClientError) as exc:
        _quietly_close(client)
        raise SourceError(f"login to {where} failed: {_describe(exc)}") from exc
    return client


def _describe(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, bytes):
        arg = arg.decode("utf-8", "replace")
    return f"{type(exc).__name__}: {arg}" if not isinstance(exc, IMAPClientError) else str(arg)


def _quietly_close(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # a broken connection: nothing to report
        client.shutdown()


# --- batching (pure) ---------------------------------------------------------------------------


def plan_batches(
    sizes: Sequence[tuple[int, int]],
    *,
    max_count: int = BATCH_MAX_COUNT,
    max_bytes: int = BATCH_MAX_BYTES,
    cap: int | None = None,
) -> list[list[int]]:
    """Group (uid, size) pairs, in order, into batches of at most `max_count` messages and
    `max_bytes` bytes (a message counts as min(size, cap)); a message bigger than `max_bytes`
    travels alone."""
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for uid, size in sizes:
        size = min(size, cap) if cap else size
        if current and (len(current) >= max_count or current_bytes + size > max_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(uid)
        current_bytes += size
    if current:
        batches.append(current)
    return batches


def _chunks(items: Sequence[int], n: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# --- one folder of one mailbox -----------------------------------------------------------------


class ImapFolder:
    """A logged-in connection working on one folder (the mailbox's `folder`)."""

    def __init__(
        self,
        client: IMAPClient,
        mailbox: MailboxSettings,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        batch_count: int = BATCH_MAX_COUNT,
        batch_bytes: int = BATCH_MAX_BYTES,
    ) -> None:
        self.client = client
        self.mailbox = mailbox
        self.source = f"imap:{mailbox.name}/{mailbox.folder}"
        self.max_bytes = max_bytes
        self.batch_count = batch_count
        self.batch_bytes = batch_bytes
        self.uidvalidity: int | None = None
        self._keywords_allowed = False
        self._folders_ready = False
        self._caps: frozenset[bytes] = frozenset()

    # capabilities are re-read after login; cache them per connection
    def has(self, capability: str) -> bool:
        if not self._caps:
            self._caps = frozenset(c.upper() for c in self.client.capabilities())
        return capability.upper().encode() in self._caps

    def ensure_folders(self) -> None:
        """Create the processed / quarantine / untrusted folders when missing (once per
        connection)."""
        if self._folders_ready:
            return
        wanted = [self.mailbox.quarantine_folder, self.mailbox.untrusted_folder]
        if self.mailbox.after == "move":
            wanted.insert(0, self.mailbox.processed_folder)
        for folder in wanted:
            if folder and not self.client.folder_exists(folder):
                try:
                    self.client.create_folder(folder)
                except IMAPClientError as exc:
                    if not self.client.folder_exists(folder):  # lost a race: fine
                        raise SourceError(f"cannot create folder {folder!r}: {exc}") from exc
                else:
                    log.info("folder_created mailbox=%s folder=%s", self.mailbox.name, folder)
                with contextlib.suppress(IMAPClientError):  # a courtesy to mail clients
                    self.client.subscribe_folder(folder)
        self._folders_ready = True

    def select(self) -> tuple[int, int | None]:
        """SELECT the folder (read-write); return (UIDVALIDITY, UIDNEXT)."""
        info = self.client.select_folder(self.mailbox.folder)
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        permanent = info.get(b"PERMANENTFLAGS", ())
        self._keywords_allowed = b"\\*" in permanent
        uidnext = info.get(b"UIDNEXT")
        return self.uidvalidity, int(uidnext) if uidnext is not None else None

    def pending_uids(self, last_uid: int = 0) -> list[int]:
        """UIDs still to process, ascending.

        With after = move / delete every undeleted message in the folder is pending (a message
        committed but not yet moved is simply seen again; the store knows it).  With
        after = flag, the processed keyword marks what is done; where the server allows no
        keywords, UIDs above `last_uid` are.
        """
        self.client.noop()  # let the server report messages that arrived since SELECT
        if self.mailbox.after == "flag":
            if self._keywords_allowed:
                uids = self.client.search(["NOT", "DELETED", "UNKEYWORD", PROCESSED_KEYWORD])
            else:
                uids = [u for u in self.client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid]
        else:
            uids = self.client.search(["NOT", "DELETED"])
        return sorted(int(u) for u in uids)

    def sizes(self, uids: Sequence[int]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for chunk in _chunks(uids, 1000):
            resp = self.client.fetch(chunk, ["RFC822.SIZE"])
            out.extend((int(uid), int(data.get(b"RFC822.SIZE", 0))) for uid, data in resp.items())
        out.sort()
        return out

    def fetch(self, uids: Sequence[int]) -> Iterator[list[RawMessage]]:
        """Yield the messages, batch by batch, in UID order.  A message bigger than
        `max_bytes` is fetched once, truncated to `max_bytes` (BODY.PEEK[]<0.N>); nothing is
        marked \\Seen.  Messages expunged meanwhile by another client are skipped.

        The cap holds on the bytes actually read, whatever size the server announced: a
        literal longer than `max_bytes` is kept to its first `max_bytes` (the rest is read and
        dropped, see imap_transport), and the message is marked `truncated`."""
        sizes = self.sizes(uids)
        size_of = dict(sizes)
        transport = getattr(self.client, "transport", None)
        if transport is not None:
            transport.literal_limit = self.max_bytes + 1  # one byte more: "longer than the cap"
        try:
            for batch in plan_batches(
                sizes, max_count=self.batch_count, max_bytes=self.batch_bytes, cap=self.max_bytes
            ):
                yield self._fetch_batch(batch, size_of)
        finally:
            if transport is not None:
                transport.literal_limit = None

    def _fetch_batch(self, batch: list[int], size_of: dict[int, int]) -> list[RawMessage]:
        small = [u for u in batch if size_of[u] <= self.max_bytes]
        big = [u for u in batch if size_of[u] > self.max_bytes]
        bodies: dict[int, tuple[bytes, Any]] = {}
        if small:
            resp = self.client.fetch(small, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid, data in resp.items():
                body = data.get(b"BODY[]")
                if body is not None:
                    bodies[int(uid)] = (bytes(body), data.get(b"INTERNALDATE"))
        for uid in big:
            part = f"BODY.PEEK[]<0.{self.max_bytes}>"
            resp = self.client.fetch([uid], [part, "INTERNALDATE"])
            for got_uid, data in resp.items():
                body = data.get(b"BODY[]<0>", data.get(b"BODY[]"))
                if body is not None:
                    bodies[int(got_uid)] = (bytes(body), data.get(b"INTERNALDATE"))
        out = []
        for uid in batch:
            if uid not in bodies:
                continue
            data, internaldate = bodies[uid]
            truncated = uid in big or len(data) > self.max_bytes
            if truncated:
                log.info(
                    "message_truncated mailbox=%s uid=%d size=%d read=%d cap=%d",
                    self.mailbox.name,
                    uid,
                    size_of[uid],
                    len(data),
                    self.max_bytes,
                )
                data = data[: self.max_bytes]
            out.append(
                RawMessage(
                    data=data,
                    source=self.source,
                    uidvalidity=self.uidvalidity,
                    uid=uid,
                    received_at=_iso(internaldate),
                    truncated=truncated,
                )
            )
        return out

    # --- acknowledging (only after the commit) ---------------------------------------------

    def ack(
        self,
        processed: Sequence[int],
        quarantined: Sequence[int],
        untrusted: Sequence[int] = (),
    ) -> None:
        """Processed messages: move / flag / delete as configured.  Quarantined: move to the
        quarantine folder whatever `after` says (never deleted).  Untrusted (bounces that
        [trust] did not let change state): move to the untrusted folder (never deleted)."""
        if processed:
            after = self.mailbox.after
            if after == "move":
                self._move(processed, self.mailbox.processed_folder)
            elif after == "flag":
                flags: list[str] = ["\\Seen"]
                if self._keywords_allowed:
                    flags.append(PROCESSED_KEYWORD)
                self.client.add_flags(list(processed), flags, silent=True)
            elif after == "delete":
                self.client.add_flags(list(processed), ["\\Deleted"], silent=True)
                self._expunge(processed)
            else:
                raise SourceError(f"unknown after = {after!r}")
        if quarantined:
            self._move(quarantined, self.mailbox.quarantine_folder)
        if untrusted:
            self._move(untrusted, self.mailbox.untrusted_folder)

    def _move(self, uids: Sequence[int], folder: str) -> None:
        self.ensure_folders()
        if self.has("MOVE"):
            self.client.move(list(uids), folder)
            return
        # RFC 6851 absent: COPY, then flag \Deleted and expunge exactly these UIDs
        self.client.copy(list(uids), folder)
        self.client.add_flags(list(uids), ["\\Deleted"], silent=True)
        self._expunge(uids)

    def _expunge(self, uids: Sequence[int]) -> None:
        if self.has("UIDPLUS"):
            self.client.uid_expunge(list(uids))
            return
        # without UIDPLUS the only EXPUNGE there is removes every \Deleted message, those
        # another client flagged too: never issued.  Ours stay flagged \Deleted (a pass skips
        # them) until a client that owns the mailbox expunges it.
        log.info(
            "expunge_skipped mailbox=%s messages=%d reason=no_uidplus",
            self.mailbox.name,
            len(uids),
        )

    # --- IDLE ------------------------------------------------------------------------------

    def can_idle(self) -> bool:
        return self.has("IDLE")

    def idle_start(self) -> None:
        self.client.idle()

    def idle_wait(self, timeout: float) -> list[Any]:
        """Wait up to `timeout` seconds for untagged responses while IDLE."""
        transport = getattr(self.client, "transport", None)
        if transport is not None:
            transport.allow(timeout)  # waiting is what IDLE is for: not a slow answer
        return list(self.client.idle_check(timeout=timeout))

    def start_pass(self, seconds: float | None = PASS_TIMEOUT) -> None:
        """Bound every command from now on to end within `seconds` (None: unbounded)."""
        transport = getattr(self.client, "transport", None)
        if transport is not None:
            transport.set_pass_deadline(seconds)

    def idle_stop(self) -> None:
        self.client.idle_done()

    def noop(self) -> None:
        self.client.noop()

    def logout(self) -> None:
        try:
            self.client.logout()
        except Exception:  # the connection may already be gone
            _quietly_close(self.client)


def announces_new_mail(responses: Iterable[Any]) -> bool:
    """True when IDLE responses say the folder grew (EXISTS / RECENT)."""
    for resp in responses:
        if isinstance(resp, tuple) and len(resp) >= 2 and resp[1] in (b"EXISTS", b"RECENT"):
            return True
    return False


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.astimezone()
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def open_folder(
    mailbox: MailboxSettings,
    credentials: Credentials,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    timeout: float = DEFAULT_TIMEOUT,
) -> ImapFolder:
    """connect() + ImapFolder + folders created: ready for select()."""
    client = connect(mailbox, credentials, timeout=timeout)
    folder = ImapFolder(client, mailbox, max_bytes=max_bytes)
    try:
        folder.ensure_folders()
    except (*CONNECTION_ERRORS, IMAPClientError) as exc:
        folder.logout()
        raise SourceError(f"mailbox {mailbox.name!r}: {_describe(exc)}") from exc
    return folder


__all__ = [
    "CONNECTION_ERRORS",
    "PROCESSED_KEYWORD",
    "Credentials",
    "ImapFolder",
    "MailboxSettings",
    "announces_new_mail",
    "connect",
    "is_loopback",
    "open_folder",
    "plan_batches",
    "tls_context",
]
