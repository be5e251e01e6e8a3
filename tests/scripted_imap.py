"""A scripted IMAP4rev1 server for the faults a real Dovecot can't be made to show.

It speaks just enough IMAP for bouncewatch's IMAP source (LOGIN, CAPABILITY, LIST, CREATE,
SUBSCRIBE, SELECT, NOOP, UID SEARCH / FETCH / STORE / COPY / MOVE / EXPUNGE, EXPUNGE, LOGOUT)
and misbehaves on demand:

- `trickle`: once logged in, every response byte comes `trickle` seconds apart (with
  `trickle_bodies`, only the bytes of FETCH answers that carry a message body);
- `literal_extra`: a FETCH of a message body sends that many bytes more than RFC822.SIZE says
  (the announced literal is honest, the size lies);
- `announce_literal`: a body literal announces this size, then sends the message and closes;
- `uidplus = False`, `move = False`: the capabilities are not offered (EXPUNGE removes every
  \\Deleted message, as RFC 3501 says);
- `keywords = False`: PERMANENTFLAGS has no \\* (no keyword can be stored).

Loopback only, one thread per connection, and it stops by itself after `lifetime` seconds.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bouncewatch.config import MailboxConfig


@dataclass
class Stored:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)
    #: what a FETCH of the body sends (data, plus `literal_extra` bytes), built ahead of time
    sent: bytes = b""


@dataclass
class ScriptedImap:
    user: str = "bounces"
    password: str = "secret"
    trickle: float = 0.0
    trickle_bodies: bool = False
    literal_extra: int = 0
    announce_literal: int | None = None
    uidplus: bool = True
    move: bool = True
    keywords: bool = True
    lifetime: float = 60.0
    folders: dict[str, list[Stored]] = field(default_factory=lambda: {"INBOX": []})
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._next_uid = 1
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    # --- the test's side -------------------------------------------------------------------

    def add(self, data: bytes, folder: str = "INBOX", flags: set[str] | None = None) -> int:
        with self._lock:
            uid = self._next_uid
            self._next_uid += 1
            sent = data + b"X" * self.literal_extra
            self.folders.setdefault(folder, []).append(Stored(uid, data, set(flags or ()), sent))
            return uid

    def uids(self, folder: str = "INBOX") -> list[int]:
        with self._lock:
            return [m.uid for m in self.folders.get(folder, [])]

    def mailbox(self, folder: Path) -> MailboxConfig:
        """A MailboxConfig for this server's account (plain IMAP), its password in `folder`."""
        password = folder / "password"
        password.write_text(self.password)
        return MailboxConfig(
            name="bounces",
            host="127.0.0.1",
            port=self.port,
            security="plain",
            username=self.user,
            password_file=password,
        )

    def __enter__(self) -> ScriptedImap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    # --- the server ------------------------------------------------------------------------

    def _serve(self) -> None:
        ends = time.monotonic() + self.lifetime
        workers = []
        while not self._stop.is_set() and time.monotonic() < ends:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            t = threading.Thread(target=self._session, args=(conn, ends), daemon=True)
            t.start()
            workers.append(t)
        self._stop.set()
        for t in workers:
            t.join(timeout=5)

    def _capabilities(self) -> str:
        caps = ["IMAP4rev1", "LITERAL+", "IDLE"]
        if self.uidplus:
            caps.append("UIDPLUS")
        if self.move:
            caps.append("MOVE")
        return " ".join(caps)

    def _session(self, conn: socket.socket, ends: float) -> None:
        conn.settimeout(0.2)
        selected: str | None = None
        logged_in = False
        buf = b""

        def send(parts: list[bytes | memoryview]) -> None:
            slow = self.trickle and logged_in
            if slow and self.trickle_bodies:
                slow = bool(parts) and b"BODY[]" in bytes(parts[0])
            data = b"".join(parts) if slow else None
            if data is not None:
                for i in range(len(data)):
                    if self._stop.wait(self.trickle) or time.monotonic() > ends:
                        raise ConnectionError("server stopped")
                    conn.sendall(data[i : i + 1])
            else:
                for part in parts:
                    conn.sendall(part)

        with contextlib.suppress(OSError, ConnectionError), conn:
            conn.sendall(f"* OK [CAPABILITY {self._capabilities()}] scripted ready\r\n".encode())
            while not self._stop.is_set() and time.monotonic() < ends:
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                buf += chunk
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    text = line.decode("utf-8", "replace")
                    self.log.append(text)
                    tag, _, rest = text.partition(" ")
                    command, _, args = rest.partition(" ")
                    command = command.upper()
                    if command == "UID":
                        command, _, args = args.partition(" ")
                        command = "UID " + command.upper()
                    if command == "LOGOUT":
                        send([b"* BYE bye\r\n", f"{tag} OK LOGOUT done\r\n".encode()])
                        return
                    if command == "SELECT":
                        selected = args.strip('"')
                    out = self._answer(command, args, selected)
                    if self.announce_literal is not None and b"BODY[]" in out[0]:
                        send(out)  # the announced literal never comes whole
                        return
                    send([*out, f"{tag} OK {command} done\r\n".encode()])
                    logged_in = logged_in or command == "LOGIN"

    def _answer(self, command: str, args: str, selected: str | None) -> list[bytes | memoryview]:
        if command == "UID FETCH":
            with self._lock:
                return self._fetch(self.folders.get(selected or "", []), args)
        return [self._simple_answer(command, args, selected)]

    def _simple_answer(self, command: str, args: str, selected: str | None) -> bytes:
        with self._lock:
            box = self.folders.get(selected or "", [])
            if command == "CAPABILITY":
                return f"* CAPABILITY {self._capabilities()}\r\n".encode()
            if command == "LIST":
                name = args.rsplit(" ", 1)[-1].strip('"')
                if name in self.folders:
                    return f'* LIST () "/" "{name}"\r\n'.encode()
                return b""
            if command == "CREATE":
                self.folders.setdefault(args.strip('"'), [])
                return b""
            if command == "SELECT":
                perm = r"\Seen \Deleted \*" if self.keywords else r"\Seen \Deleted"
                return (
                    f"* {len(box)} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n"
                    f"* OK [UIDNEXT {self._next_uid}] ok\r\n"
                    f"* FLAGS (\\Seen \\Deleted)\r\n* OK [PERMANENTFLAGS ({perm})] ok\r\n"
                ).encode()
            if command == "UID SEARCH":
                return (
                    "* SEARCH " + " ".join(str(m.uid) for m in self._search(box, args))
                ).encode() + b"\r\n"
            if command == "UID STORE":
                uids, _, rest = args.partition(" ")
                wanted = self._uid_set(uids)
                flags = set(re.findall(r"[\\$\w]+", rest.split("(", 1)[-1]))
                for m in box:
                    if m.uid in wanted:
                        if rest.upper().startswith("-"):
                            m.flags -= flags
                        else:
                            m.flags |= flags
                return b""
            if command in ("UID COPY", "UID MOVE"):
                uids, _, target = args.partition(" ")
                wanted = self._uid_set(uids)
                dest = self.folders.setdefault(target.strip('"'), [])
                for m in box:
                    if m.uid in wanted:
                        dest.append(Stored(self._next_uid, m.data, set()))
                        self._next_uid += 1
                if command == "UID MOVE":
                    box[:] = [m for m in box if m.uid not in wanted]
                return b""
            if command == "UID EXPUNGE":
                wanted = self._uid_set(args)
                box[:] = [m for m in box if not (m.uid in wanted and "\\Deleted" in m.flags)]
                return b""
            if command == "EXPUNGE":
                box[:] = [m for m in box if "\\Deleted" not in m.flags]
                return b""
            return b""  # LOGIN, NOOP, SUBSCRIBE, …: OK

    @staticmethod
    def _uid_set(spec: str) -> set[int]:
        out: set[int] = set()
        for part in spec.split(","):
            lo, _, hi = part.partition(":")
            if hi == "*":
                out.update(range(int(lo), 1_000_000))
            elif hi:
                out.update(range(int(lo), int(hi) + 1))
            elif lo.isdigit():
                out.add(int(lo))
        return out

    def _search(self, box: list[Stored], args: str) -> list[Stored]:
        criteria = args.upper()
        found = box
        if "NOT DELETED" in criteria:
            found = [m for m in found if "\\Deleted" not in m.flags]
        m = re.search(r"UNKEYWORD (\S+)", args)
        if m:
            found = [x for x in found if m.group(1) not in x.flags]
        m = re.match(r"UID (\S+)", args)
        if m:
            wanted = self._uid_set(m.group(1))
            found = [x for x in found if x.uid in wanted]
        return found

    def _fetch(self, box: list[Stored], args: str) -> list[bytes | memoryview]:
        uids, _, items = args.partition(" ")
        wanted = self._uid_set(uids)
        out: list[bytes | memoryview] = []
        for seq, m in enumerate(box, 1):
            if m.uid not in wanted:
                continue
            if "RFC822.SIZE" in items and "BODY" not in items:
                out.append(f"* {seq} FETCH (UID {m.uid} RFC822.SIZE {len(m.data)})\r\n".encode())
                continue
            partial = re.search(r"BODY\.PEEK\[\]<0\.(\d+)>", items)
            body = memoryview(m.sent)
            if partial:
                body = body[: int(partial.group(1))]
            name = "BODY[]<0>" if partial else "BODY[]"
            if self.announce_literal is not None:
                out.append(
                    f"* {seq} FETCH (UID {m.uid} {name} {{{self.announce_literal}}}\r\n".encode()
                )
                out.append(body)  # and the connection ends: the rest never comes
                return out
            out.append(
                (
                    f'* {seq} FETCH (UID {m.uid} INTERNALDATE "14-May-2024 09:58:15 +0000" '
                    f"{name} {{{len(body)}}}\r\n"
                ).encode()
            )
            out += [body, b")\r\n"]
        return out
