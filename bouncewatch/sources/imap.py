"""IMAP source: connect, fetch by UID in bounded batches, acknowledge, IDLE.

`connect()` is the one place a connection is made (the seam for tests and for other
transports).  `ImapFolder` wraps a logged-in `IMAPClient` on one mailbox folder and offers what
a pass needs: select (UIDVALIDITY), the UIDs still to process, fetch in batches bounded by count
and bytes, acknowledge (move / copy+expunge / flag / delete; unrecognised → quarantine folder),
and IDLE.

During a pass the connection does not wait for the server between batches: the FETCH of the
next batch is sent before a batch is handed out and read when the next one is asked for, and a
batch's MOVE is sent after its commit and read with the next FETCH.  The server (a process of
its own) prepares its answers while the pass parses and records; its answers are read in the
order the commands were sent, on the pass's own thread.  A batch is still acknowledged only
once the caller asks, after its commit; a refusal is raised in the pass's flow (with the next
batch, or `finish_pass`), and `finish_pass` reads every answer still awaited, so the
connection is in step for what comes next (IDLE, the next pass).  Outside a pass
(`start_pass` … `finish_pass`) every command is read as it is sent.

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
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import parse_fetch_response

from bouncewatch.errors import AuthenticationError, CertificateError, SourceError
from bouncewatch.hosts import is_loopback
from bouncewatch.model import RawMessage
from bouncewatch.sources.imap_fetch import read_bodies, uid_set
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
#: Batches fetched ahead of the one being recorded (0: each is fetched when asked for).
PREFETCH = 1
#: The sizes are listed this many UIDs at a time: the first batches are planned (and their
#: FETCH sent) from the first chunk's sizes, the next chunk's are asked for meanwhile.
SIZES_CHUNK = 5000

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

#: a body as fetched: its bytes and its INTERNALDATE (ISO, UTC)
_Body = tuple[bytes, str | None]
#: what turns a command's answer (its name, imaplib's type and data) into a result
_Reader = Callable[[str, str, list[Any]], Any]


@dataclass(eq=False)
class _Sent:
    """A command sent whose answer is read later (`ImapFolder._read`)."""

    tag: Any
    name: str
    reader: _Reader
    #: literals longer than this are cut while its answer is read (imap_transport)
    literal_limit: int | None = None
    done: bool = False
    result: Any = None
    error: BaseException | None = field(default=None, repr=False)


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
        self.prefetch = PREFETCH
        self._in_pass = False
        #: commands sent whose answers are still to be read, in the order sent
        self._sent: deque[_Sent] = deque()
        #: bodies read and not yet handed out, by UID
        self._arrived: dict[int, _Body] = {}
        #: sizes read and not yet taken, by UID
        self._sized: dict[int, int] = {}
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
        """(uid, RFC822.SIZE) of the UIDs still there, ascending."""
        self._read_all()  # the connection in step first
        out: list[tuple[int, int]] = []
        for chunk in _chunks(uids, SIZES_CHUNK):
            self._read(self._send_fetch(chunk, "(RFC822.SIZE)", self._sizes_of))
            out.extend(self._take_sizes(chunk))
        out.sort()
        return out

    # --- commands sent now, answers read later ----------------------------------------------

    def _send(self, name: str, args: Sequence[str | bytes], reader: _Reader) -> _Sent:
        """Send `UID <name> <args>` now; its answer is read (in the order sent) by `_read`."""
        imap = self.client._imap
        sent = _Sent(imap._command("UID", name, *args), name, reader)
        self._sent.append(sent)
        return sent

    def _read(self, until: _Sent) -> Any:
        """Read the answers of the commands sent, in order, through `until`'s; return what its
        reader made of it (or raise what it raised).  A command sent earlier that failed (an
        acknowledgement the server refused) is raised here, in the caller's flow.  Each
        answer gets a command's time from the moment it is awaited (the server had it
        earlier); a connection that breaks raises at once."""
        imap = self.client._imap
        transport = getattr(self.client, "transport", None)
        failed: BaseException | None = None
        while self._sent and not until.done:
            sent = self._sent.popleft()
            if transport is not None:
                transport.allow(0)
                transport.literal_limit = sent.literal_limit
            try:
                typ, data = imap._command_complete(sent.name, sent.tag)
                sent.result = sent.reader(sent.name, typ, data)
            except CONNECTION_ERRORS:
                self._sent.clear()  # the connection is gone: nothing more will be read
                raise
            except Exception as exc:
                sent.error = exc
                if sent is not until and failed is None:
                    failed = exc
            finally:
                sent.done = True
                if transport is not None:
                    transport.literal_limit = None
        if failed is not None:
            raise failed
        if until.error is not None:
            raise until.error
        return until.result

    @property
    def awaiting(self) -> int:
        """How many commands were sent whose answers are still to be read."""
        return len(self._sent)

    def _read_all(self) -> None:
        """Read every answer still awaited (the connection is then in step)."""
        if self._sent:
            self._read(self._sent[-1])

    def _send_fetch(self, uids: Sequence[int], items: str, reader: _Reader) -> _Sent:
        """`UID FETCH <uid set> <items>`: a set of ranges, not one number per message."""
        return self._send("FETCH", (uid_set(uids), items), reader)

    def _fetch_data(self, name: str, typ: str, data: list[Any]) -> list[Any]:
        """imaplib's FETCH data, unparsed (no token-by-token parse of the answer)."""
        self.client._checkok(name.lower(), typ, data)
        typ, data = self.client._imap._untagged_response(typ, data, "FETCH")
        return [d for d in data if d is not None]

    def _sizes_of(self, name: str, typ: str, data: list[Any]) -> None:
        """A size listing's answer: see `_bodies_of` (either reads what the other asked for)."""
        self._collect(self._fetch_data(name, typ, data))

    def _bodies_of(self, name: str, typ: str, data: list[Any]) -> None:
        """Every body read so far goes to `_arrived`, every size to `_sized`: a server may
        answer commands sent together interleaved (Dovecot does), so the FETCH data read up
        to one command's completion can hold bodies or sizes of the next one as well."""
        self._collect(self._fetch_data(name, typ, data))

    def _collect(self, data: list[Any]) -> None:
        sizes: dict[int, int] = {}
        bodies = read_bodies(data, sizes)
        if bodies is None:  # a form the lean reader does not know: imapclient's parser
            bodies, sizes = {}, {}
            for uid, item in parse_fetch_response(data, False, True).items():
                body = item.get(b"BODY[]<0>", item.get(b"BODY[]"))
                if isinstance(body, bytes):
                    bodies[int(uid)] = (body, _iso(item.get(b"INTERNALDATE")))
                elif b"RFC822.SIZE" in item:
                    sizes[int(uid)] = int(item[b"RFC822.SIZE"])
        self._arrived.update(bodies)
        self._sized.update(sizes)

    def _take_sizes(self, uids: Iterable[int]) -> list[tuple[int, int]]:
        sized = self._sized
        return [(uid, sized.pop(uid)) for uid in uids if uid in sized]

    def _take(self, uids: Iterable[int]) -> dict[int, _Body]:
        arrived = self._arrived
        return {uid: arrived.pop(uid) for uid in uids if uid in arrived}

    def _bodies(self, uids: Sequence[int], part: str) -> dict[int, _Body]:
        """{uid: (bytes, INTERNALDATE)} of a `UID FETCH (<part> INTERNALDATE)`, read now."""
        self._read_all()
        sent = self._send_fetch(uids, f"({part} INTERNALDATE)", self._bodies_of)
        sent.literal_limit = self.max_bytes + 1
        self._read(sent)
        return self._take(uids)

    def fetch(self, uids: Sequence[int]) -> Iterator[list[RawMessage]]:
        """Yield the messages, batch by batch, in UID order.  A message bigger than
        `max_bytes` is fetched once, truncated to `max_bytes` (BODY.PEEK[]<0.N>); nothing is
        marked \\Seen.  Messages expunged meanwhile by another client are skipped.

        The cap holds on the bytes actually read, whatever size the server announced: a
        literal longer than `max_bytes` is kept to its first `max_bytes` (the rest is read and
        dropped, see imap_transport), and the message is marked `truncated`.

        Inside a pass (`start_pass` … `finish_pass`) and with `prefetch` > 0, the FETCH of
        the next `prefetch` batches is sent before a batch is handed out, and read when the
        caller asks for the next one (see the module's docstring)."""
        size_of: dict[int, int] = {}
        ahead = self.prefetch if self._in_pass else 0
        sent: deque[tuple[list[int], list[_Sent]]] = deque()
        todo = self._plan(uids, size_of, first=self.batch_count * (ahead + 1))
        for batch in todo:  # the batch to hand out first, and `ahead` more
            sent.append((batch, self._send_batch(batch, size_of)))
            if len(sent) > ahead:
                break
        while sent:
            batch, commands = sent.popleft()
            yield self._read_batch(batch, size_of, commands)
            # the caller recorded that batch and sent its acknowledgement: the next FETCH
            # goes after it
            for more in todo:
                sent.append((more, self._send_batch(more, size_of)))
                break

    def _plan(
        self, uids: Sequence[int], size_of: dict[int, int], *, first: int
    ) -> Iterator[list[int]]:
        """The batches of `uids` (those still there), planned from their sizes, which are
        listed a chunk at a time (`first` UIDs, then SIZES_CHUNK): the first batches' FETCH
        goes out once the first chunk's sizes are in, and the next chunk's sizes are asked for
        after the first FETCH of a chunk (answered while the pass records).  A batch does not
        reach across chunks.  `size_of` gets each chunk's sizes.  Outside a pass each chunk's
        sizes are read as they are asked for."""
        self._read_all()  # the connection in step first
        chunks = [uids[:first], *_chunks(uids[first:], SIZES_CHUNK)] if uids else []
        if not chunks:
            return
        pending: _Sent | None = None
        for i, chunk in enumerate(chunks):
            if pending is None:
                pending = self._send_fetch(chunk, "(RFC822.SIZE)", self._sizes_of)
            self._read(pending)
            sizes = sorted(self._take_sizes(chunk))
            pending = None
            size_of.update(sizes)
            planned = plan_batches(
                sizes, max_count=self.batch_count, max_bytes=self.batch_bytes, cap=self.max_bytes
            )
            # inside a pass the next chunk's sizes are asked for once the chunk's first FETCH
            # is sent; outside, when they are needed (every answer read as sent)
            rest = chunks[i + 1] if i + 1 < len(chunks) and self._in_pass else None
            for j, batch in enumerate(planned):
                yield batch  # (its FETCH is sent before the next batch is asked for)
                if j == 0 and rest is not None:
                    pending = self._send_fetch(rest, "(RFC822.SIZE)", self._sizes_of)

    def _send_batch(self, batch: list[int], size_of: dict[int, int]) -> list[_Sent]:
        small = [u for u in batch if size_of[u] <= self.max_bytes]
        big = [u for u in batch if size_of[u] > self.max_bytes]
        commands = []
        if small:
            commands.append(self._send_fetch(small, "(BODY.PEEK[] INTERNALDATE)", self._bodies_of))
        for uid in big:
            part = f"(BODY.PEEK[]<0.{self.max_bytes}> INTERNALDATE)"
            commands.append(self._send_fetch([uid], part, self._bodies_of))
        for command in commands:
            command.literal_limit = self.max_bytes + 1  # one byte more: "longer than the cap"
        return commands

    def _read_batch(
        self, batch: list[int], size_of: dict[int, int], commands: list[_Sent]
    ) -> list[RawMessage]:
        for command in commands:
            self._read(command)
        bodies = self._take(batch)
        big = {u for u in batch if size_of[u] > self.max_bytes}
        out = []
        for uid in batch:
            if uid not in bodies:
                continue
            data, received_at = bodies[uid]
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
                    received_at=received_at,
                    truncated=truncated,
                )
            )
        return out

    def finish_pass(self, *, raise_errors: bool = True) -> None:
        """Read every answer still awaited: acknowledgements sent (the first one the server
        refused is raised, as it would have been when sent in line) and FETCHes of batches
        nobody will ask for (read and dropped, so the connection stays in step).  Each answer
        is bounded by the command deadline.  `raise_errors=False`: nothing is raised (a pass
        that already failed)."""
        self._in_pass = False
        try:
            self._read_all()
        except Exception:
            self._sent.clear()
            if raise_errors:
                raise
        finally:
            self._arrived.clear()
            self._sized.clear()

    # --- acknowledging (only after the commit) ---------------------------------------------

    def ack(
        self,
        processed: Sequence[int],
        quarantined: Sequence[int],
        untrusted: Sequence[int] = (),
    ) -> None:
        """Processed messages: move / flag / delete as configured.  Quarantined: move to the
        quarantine folder whatever `after` says (never deleted).  Untrusted (bounces that
        [trust] did not let change state): move to the untrusted folder (never deleted).

        Inside a pass, a MOVE is sent and its answer read with the next batch's (the pass
        goes on meanwhile); a refusal is raised then, or by `finish_pass`."""
        self._ack_now(processed, quarantined, untrusted)

    def _ack_now(
        self, processed: Sequence[int], quarantined: Sequence[int], untrusted: Sequence[int]
    ) -> None:
        if processed:
            after = self.mailbox.after
            if after != "move":
                self._read_all()
            if after == "move":
                self._move(processed, self.mailbox.processed_folder)
            elif after == "flag":
                flags: list[str] = ["\\Seen"]
                if self._keywords_allowed:
                    flags.append(PROCESSED_KEYWORD)
                self.client.add_flags(uid_set(processed), flags, silent=True)
            elif after == "delete":
                self.client.add_flags(uid_set(processed), ["\\Deleted"], silent=True)
                self._expunge(processed)
            else:
                raise SourceError(f"unknown after = {after!r}")
        if quarantined:
            self._move(quarantined, self.mailbox.quarantine_folder)
        if untrusted:
            self._move(untrusted, self.mailbox.untrusted_folder)

    def _move(self, uids: Sequence[int], folder: str) -> None:
        if not (self._folders_ready and self._caps):
            self._read_all()  # LIST / CREATE / CAPABILITY may be sent: the connection in step
        self.ensure_folders()
        if self.has("MOVE"):
            if self._in_pass:  # one command does it all: sent now, its answer read later
                self._send("MOVE", (uid_set(uids), self.client._normalise_folder(folder)),
                           self._moved)  # fmt: skip
                return
            self._read_all()
            self.client.move(uid_set(uids), folder)
            return
        self._read_all()
        # RFC 6851 absent: COPY, then flag \Deleted and expunge exactly these UIDs
        self.client.copy(uid_set(uids), folder)
        self.client.add_flags(uid_set(uids), ["\\Deleted"], silent=True)
        self._expunge(uids)

    def _moved(self, name: str, typ: str, data: list[Any]) -> None:
        self.client._checkok(name.lower(), typ, data)
        # the EXPUNGE responses that came with it: nobody reads them
        self.client._imap.untagged_responses.pop("EXPUNGE", None)

    def _expunge(self, uids: Sequence[int]) -> None:
        if self.has("UIDPLUS"):
            self.client.uid_expunge(uid_set(uids))
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
        """Bound every command from now on to end within `seconds`; until `finish_pass`,
        FETCHes and MOVEs are sent ahead of their answers.  None: unbounded, and every
        answer read as its command is sent (the end of a pass)."""
        self._in_pass = seconds is not None
        transport = getattr(self.client, "transport", None)
        if transport is not None:
            transport.set_pass_deadline(seconds)

    def idle_stop(self) -> None:
        self.client.idle_done()

    def noop(self) -> None:
        self.client.noop()

    def logout(self) -> None:
        self._sent.clear()  # answers not read are dropped with the connection
        self._arrived.clear()
        self._sized.clear()
        self._in_pass = False
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
