"""IMAP source: connect, fetch by UID in bounded batches, acknowledge, IDLE.

`connect()` is the one place a connection is made (the seam for tests and for other
transports).  `ImapFolder` wraps a logged-in `IMAPClient` on one mailbox folder and offers what
a pass needs: select (UIDVALIDITY), the UIDs still to process, fetch in batches bounded by count
and bytes, acknowledge (move / copy+expunge / flag / delete; unrecognised → quarantine folder),
and IDLE.

During a pass the connection's commands run on a thread of their own (`_CommandThread`), one
after the other in the order they were asked for: the next batch is fetched while the caller
parses and records the current one, and an acknowledgement is sent while the caller goes on.
The caller still decides the order — a batch is acknowledged only once the caller asks, after
its commit — and every failure of that thread is raised in the caller's flow (at its next
batch, its next acknowledgement, or `finish_pass`).  The thread lives for one pass
(`start_pass` … `finish_pass`; outside a pass every command runs in line): `finish_pass`
waits for what is queued (each command bounded by its deadline), drops the fetches nobody
will read, and stops it.

Errors: `AuthenticationError` when the server refuses the credentials (retrying won't help);
`SourceError` for everything else that a reconnect may cure (refused connection, timeouts,
TLS failures, a server that went away mid-command).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import queue
import ssl
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import parse_fetch_response

from bouncewatch.errors import AuthenticationError, CertificateError, SourceError
from bouncewatch.hosts import is_loopback
from bouncewatch.model import RawMessage
from bouncewatch.sources.imap_fetch import read_bodies, read_sizes, uid_set
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
        self.prefetch = PREFETCH
        self._in_pass = False
        self._thread: _CommandThread | None = None
        self._prefetched: deque[Future[list[RawMessage]]] = deque()
        self._acks: deque[Future[None]] = deque()
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
        out: list[tuple[int, int]] = []
        for chunk in _chunks(uids, 5000):
            data = self._uid_fetch(chunk, "(RFC822.SIZE)")
            sizes = read_sizes(data)
            if sizes is None:  # a form the lean reader does not know
                sizes = {
                    int(uid): int(item.get(b"RFC822.SIZE", 0))
                    for uid, item in parse_fetch_response(data, False, True).items()
                }
            wanted = set(chunk)
            out.extend((uid, size) for uid, size in sizes.items() if uid in wanted)
        out.sort()
        return out

    def _uid_fetch(self, uids: Sequence[int], items: str) -> list[Any]:
        """`UID FETCH <uid set> <items>`: imaplib's FETCH data, unparsed (a UID set of
        ranges, not one number per message, and no token-by-token parse of the answer)."""
        imap = self.client._imap
        tag = imap._command("UID", "FETCH", uid_set(uids), items)
        typ, data = imap._command_complete("FETCH", tag)
        self.client._checkok("fetch", typ, data)
        typ, data = imap._untagged_response(typ, data, "FETCH")
        return [d for d in data if d is not None]

    def _bodies(self, uids: Sequence[int], part: str) -> dict[int, tuple[bytes, str | None]]:
        """{uid: (bytes, INTERNALDATE)} of a `UID FETCH (<part> INTERNALDATE)`."""
        data = self._uid_fetch(uids, f"({part} INTERNALDATE)")
        bodies = read_bodies(data)
        if bodies is None:  # a form the lean reader does not know: imapclient's parser
            bodies = {}
            for uid, item in parse_fetch_response(data, False, True).items():
                body = item.get(b"BODY[]<0>", item.get(b"BODY[]"))
                if isinstance(body, bytes):
                    bodies[int(uid)] = (body, _iso(item.get(b"INTERNALDATE")))
        wanted = set(uids)
        return {uid: got for uid, got in bodies.items() if uid in wanted}

    def fetch(self, uids: Sequence[int]) -> Iterator[list[RawMessage]]:
        """Yield the messages, batch by batch, in UID order.  A message bigger than
        `max_bytes` is fetched once, truncated to `max_bytes` (BODY.PEEK[]<0.N>); nothing is
        marked \\Seen.  Messages expunged meanwhile by another client are skipped.

        The cap holds on the bytes actually read, whatever size the server announced: a
        literal longer than `max_bytes` is kept to its first `max_bytes` (the rest is read and
        dropped, see imap_transport), and the message is marked `truncated`.

        Inside a pass (`start_pass` … `finish_pass`) and with `prefetch` > 0 the batches are
        fetched on the pass's command thread, that many ahead of the one the caller holds
        (see the module's docstring)."""
        sizes = self.sizes(uids)
        size_of = dict(sizes)
        batches = plan_batches(
            sizes, max_count=self.batch_count, max_bytes=self.batch_bytes, cap=self.max_bytes
        )
        try:
            if self.prefetch <= 0 or not self._in_pass:
                for batch in batches:
                    yield self._fetch_batch(batch, size_of)
                return
            thread = self._command_thread()
            ahead = self._prefetched
            todo = iter(batches)
            for batch in todo:  # the batch to hand out, and `prefetch` more
                ahead.append(thread.submit(self._fetch_batch, batch, size_of))
                if len(ahead) > self.prefetch:
                    break
            while ahead:
                messages = ahead.popleft().result()
                self._raise_failed_ack()
                yield messages
                # the caller recorded that batch and asked for its acknowledgement: the next
                # fetch is queued after it
                for batch in todo:
                    ahead.append(thread.submit(self._fetch_batch, batch, size_of))
                    break
        finally:
            self._drop_prefetched()

    def _fetch_batch(self, batch: list[int], size_of: dict[int, int]) -> list[RawMessage]:
        small = [u for u in batch if size_of[u] <= self.max_bytes]
        big = [u for u in batch if size_of[u] > self.max_bytes]
        bodies: dict[int, tuple[bytes, str | None]] = {}
        transport = getattr(self.client, "transport", None)
        if transport is not None:
            transport.literal_limit = self.max_bytes + 1  # one byte more: "longer than the cap"
        try:
            if small:
                bodies.update(self._bodies(small, "BODY.PEEK[]"))
            for uid in big:
                bodies.update(self._bodies([uid], f"BODY.PEEK[]<0.{self.max_bytes}>"))
        finally:
            if transport is not None:
                transport.literal_limit = None
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

    # --- the pass's command thread ----------------------------------------------------------

    def _command_thread(self) -> _CommandThread:
        if self._thread is None:
            self._thread = _CommandThread(f"imap-{self.mailbox.name}")
        return self._thread

    def _drop_prefetched(self) -> None:
        """Fetches queued and not started are dropped (one that runs is let finish)."""
        while self._prefetched:
            self._prefetched.popleft().cancel()

    def _raise_failed_ack(self) -> None:
        """An acknowledgement that failed is raised here, in the caller's flow."""
        while self._acks and self._acks[0].done():
            done = self._acks.popleft()
            exc = done.exception()
            if exc is not None:
                self._acks.clear()
                raise exc

    def finish_pass(self, *, raise_errors: bool = True) -> None:
        """Let the commands queued run (acknowledgements: each within its deadline), drop
        the fetches nobody will read, stop the command thread.  The first acknowledgement
        that failed is raised (`raise_errors`), as it would have been when sent in line."""
        self._in_pass = False
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._drop_prefetched()
        thread.stop()
        acks, self._acks = self._acks, deque()
        for done in acks:
            exc = done.exception() if done.done() and not done.cancelled() else None
            if exc is not None and raise_errors:
                raise exc

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

        During a pass that fetches on its command thread, the commands are queued there
        (after the fetch under way) and the caller goes on; a failure is raised at its next
        batch, acknowledgement or `finish_pass`."""
        if self._thread is not None:
            self._raise_failed_ack()
            args = (list(processed), list(quarantined), list(untrusted))
            self._acks.append(self._thread.submit(self._ack_now, *args))
            return
        self._ack_now(processed, quarantined, untrusted)

    def _ack_now(
        self, processed: Sequence[int], quarantined: Sequence[int], untrusted: Sequence[int]
    ) -> None:
        if processed:
            after = self.mailbox.after
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
        self.ensure_folders()
        if self.has("MOVE"):
            self.client.move(uid_set(uids), folder)
            return
        # RFC 6851 absent: COPY, then flag \Deleted and expunge exactly these UIDs
        self.client.copy(uid_set(uids), folder)
        self.client.add_flags(uid_set(uids), ["\\Deleted"], silent=True)
        self._expunge(uids)

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
        `fetch` may run the commands on the pass's command thread.  None: unbounded, and
        every command in line (the end of a pass)."""
        self._in_pass = seconds is not None
        transport = getattr(self.client, "transport", None)
        if transport is not None:
            transport.set_pass_deadline(seconds)

    def idle_stop(self) -> None:
        self.client.idle_done()

    def noop(self) -> None:
        self.client.noop()

    def logout(self) -> None:
        self.finish_pass(raise_errors=False)  # nothing may use the connection any more
        try:
            self.client.logout()
        except Exception:  # the connection may already be gone
            _quietly_close(self.client)


class _CommandThread:
    """One thread that runs a connection's commands one after the other, in the order they
    were submitted; each answer (or exception) comes back through a Future."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[
            tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None
        ]
        self._jobs = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        done: Future[Any] = Future()
        self._jobs.put((done, fn, args))
        return done

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            done, fn, args = job
            if not done.set_running_or_notify_cancel():
                continue  # dropped before it started
            try:
                result = fn(*args)
            except BaseException as exc:  # raised in the caller's flow, not here
                done.set_exception(exc)
            else:
                done.set_result(result)

    def stop(self) -> None:
        """Run what is queued, then end the thread (each command ends within its deadline)."""
        self._jobs.put(None)
        self._thread.join()


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
