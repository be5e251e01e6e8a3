"""Messages from files: a single message file, a folder of them, a Maildir, an mbox, stdin.

Everything streams: one message in memory at a time, whatever the size of the mbox or the
number of files.  Each `RawMessage` carries the file path as its source (stdin: ``"stdin"``)
and, as `received_at`, the file's modification time (Maildir, .eml) or the date of the mbox
``From `` line.  Nothing here ever modifies or deletes a file.

What a path is taken for:

- ``-``: standard input — one message, or an mbox stream when it starts with ``From ``
  (Postfix's ``pipe`` transport with the ``F`` flag prepends such a line);
- a folder with ``cur/`` and ``new/``: a Maildir (``new/`` then ``cur/``, in name order —
  Maildir names start with the delivery time; sub-folders such as ``.Junk`` are not read);
- another folder: the ``*.eml`` files (one message each) and ``*.mbox`` files in it and its
  sub-folders, in name order, and the other files that look like a message (they start with a
  header field or a ``From `` line: bounces saved as ``1``, ``2``, … or ``*.txt``); hidden
  files are skipped, and the files that don't look like a message are named in one warning
  per folder (``event=files_skipped``);
- a file that starts with ``From ``: an mbox (mboxrd ``>From `` quoting is undone);
- any other file: one message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import BinaryIO

from bouncewatch.errors import SourceError
from bouncewatch.model import RawMessage

log = logging.getLogger("bouncewatch.sources.files")

STDIN = "-"
#: In a plain folder (not a Maildir) only these files are read.
FOLDER_SUFFIXES = (".eml", ".mbox", ".mbx")
_FROM_LINE = re.compile(rb"^From \S+ +\S")
_ESCAPED_FROM = re.compile(rb"^>+From ")
_ASCTIME = re.compile(r"([A-Z][a-z]{2}) +([A-Z][a-z]{2}) +(\d{1,2}) +(\d\d:\d\d:\d\d) +(\d{4})")


def iter_path(
    path: str,
    stdin: BinaryIO | None = None,
    *,
    before_wait: Callable[[], object] | None = None,
) -> Iterator[RawMessage]:
    """The messages at one path (see the module docstring).  SourceError if unreadable.
    `before_wait` is called before reading what may wait for its writer: stdin, a named
    pipe, a device (not a file nor a folder)."""
    if path == STDIN:
        if before_wait is not None:
            before_wait()
        yield from _iter_stream(stdin or sys.stdin.buffer, "stdin")
        return
    source = _as_pathlib_writes(path)
    try:
        try:
            mode = os.stat(source).st_mode
        except OSError:
            mode = 0  # (not a folder; opening it says what is wrong)
        if S_ISDIR(mode):
            p = Path(source)
            if (p / "cur").is_dir() and (p / "new").is_dir():
                yield from iter_maildir(p)
            else:
                skipped: list[str] = []
                yield from _iter_folder(p, skipped)
                if skipped:
                    log.warning(
                        "event=files_skipped path=%s count=%d files=%s reason=%s",
                        p,
                        len(skipped),
                        ",".join(skipped[:3]) + (",…" if len(skipped) > 3 else ""),
                        "not named .eml/.mbox and not starting like a message",
                    )
            return
        if before_wait is not None and not S_ISREG(mode):  # (or what the open will refuse)
            before_wait()
        fd = os.open(source, os.O_RDONLY)
        try:
            head = os.read(fd, _SNIFF_BYTES)
            if head.startswith(b"From "):
                yield from _iter_mbox_fd(fd, source)
                return
            raw = _raw_message(fd, head, source)  # (one open for the sniff and the read)
        finally:
            os.close(fd)
        yield raw
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file or folder") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a folder") from None
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from None


def _as_pathlib_writes(path: str) -> str:
    """`str(Path(path))`: `path` without empty or "." components nor a trailing slash (the
    name a message file's lines carry), without building a Path when `path` reads so
    already."""
    if (
        path
        and "//" not in path
        and "/./" not in path
        and not path.startswith("./")
        and not path.endswith(("/", "/."))
        and path != "."
    ):
        return path
    return str(Path(path))


class FileSource:
    """Files, folders, Maildirs, mboxes and stdin as an ingest `Source`: batches of
    `batch_size` messages in input order; a path that cannot be read is reported (`on_error`)
    and kept in `failed_paths`, the others go on.  Nothing is ever acknowledged: files are
    never modified."""

    each_message_atomic = False  #: a failing message stops the run (two statements fewer)

    def __init__(
        self,
        paths: Iterable[str],
        batch_size: int = 2000,
        *,
        stdin: BinaryIO | None = None,
        on_error: Callable[[SourceError], object] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.name = "files"
        self.batch_size = batch_size
        self.stdin = stdin
        self.on_error = on_error
        self.failed_paths: list[str] = []

    def messages(self) -> Iterator[RawMessage]:
        """The messages one by one, in input order (what `batches` groups)."""
        for path in self.paths:
            try:
                yield from path_messages(path, self.stdin)
            except SourceError as e:
                if self.on_error is not None:
                    self.on_error(e)
                self.failed_paths.append(path)

    def batches(self) -> Iterator[list[RawMessage]]:
        batch: list[RawMessage] = []
        for raw in self.messages():
            batch.append(raw)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def advance(self, store: object, batch: object) -> None:
        """Files keep no cursor: recording is idempotent, a re-run skips what is recorded."""

    def acknowledge(self, batch: object) -> None:
        """Files are never modified."""


def path_messages(
    path: str,
    stdin: BinaryIO | None = None,
    *,
    before_wait: Callable[[], object] | None = None,
) -> Iterator[RawMessage]:
    """The messages at one path, as `FileSource` reads each of its paths: SourceError if
    it cannot be read or holds none (stdin may hold none).  `before_wait`: see `iter_path`."""
    found = False
    for raw in iter_path(path, stdin, before_wait=before_wait):
        found = True
        yield raw
    if not found and path != STDIN:  # never "0 messages" without a word
        raise SourceError(f"{path}: no message found")


def iter_paths(paths: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[RawMessage]:
    for path in paths:
        yield from iter_path(path, stdin)


def iter_maildir(root: Path) -> Iterator[RawMessage]:
    for sub in ("new", "cur"):
        for path in _sorted_files(root / sub):
            raw = _read_file(path)
            if raw is None and sub == "cur":  # its flags changed meanwhile: a new name
                raw = _read_renamed(path)
            # (one gone from new/ was moved to cur/, which is listed after new/ is read)
            if raw is None:
                log.warning("event=file_vanished path=%s", path)
                continue
            yield raw


def _read_renamed(path: str) -> RawMessage | None:
    """The Maildir message at `path` under its new name: same unique part, other flags."""
    folder, old = os.path.split(path)
    unique = old.split(":", 1)[0]
    for entry in _sorted_files(folder):
        name = os.path.basename(entry)
        if name != old and name.split(":", 1)[0] == unique:
            return _read_file(entry)
    return None


def iter_mbox(f: BinaryIO, source: str) -> Iterator[RawMessage]:
    """Split an mbox stream on ``From `` lines (after a blank line), one message at a time."""
    lines: list[bytes] = []
    from_line: bytes | None = None
    prev_blank = True
    started = False
    offset = at = 0  # bytes read so far; where the current message's From line starts
    index = 0
    for line in f:
        if prev_blank and line.startswith(b"From ") and _FROM_LINE.match(line):
            if started and any(x.strip() for x in lines):
                index += 1
                yield _mbox_message(from_line, lines, source, index, at)
            from_line, lines, started, at = line, [], True, offset
            offset += len(line)
            prev_blank = False
            continue
        offset += len(line)
        prev_blank = line in (b"\n", b"\r\n")
        if line.startswith(b">") and _ESCAPED_FROM.match(line):
            line = line[1:]
        lines.append(line)
    if any(x.strip() for x in lines):
        yield _mbox_message(from_line, lines, source, index + 1, at)


def total_size(paths: Iterable[str]) -> int:
    """Bytes to read (for a progress bar); stdin and unreadable paths count 0."""
    total = 0
    for path in paths:
        if path == STDIN:
            continue
        p = Path(path)
        try:
            if p.is_dir():
                for dirpath, dirnames, filenames in os.walk(p):
                    dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "tmp"]
                    for name in filenames:
                        maildir = os.path.basename(dirpath) in ("cur", "new")
                        wanted = maildir or os.path.splitext(name)[1].lower() in FOLDER_SUFFIXES
                        if wanted and not name.startswith("."):
                            with contextlib.suppress(OSError):
                                total += os.stat(os.path.join(dirpath, name)).st_size
            else:
                total += p.stat().st_size
        except OSError:
            continue
    return total


# --- helpers ------------------------------------------------------------------------------------


def _iter_stream(f: BinaryIO, source: str) -> Iterator[RawMessage]:
    head = f.read(5)
    if head == b"From ":
        yield from iter_mbox(_Prefixed(head, f), source)  # type: ignore[arg-type]
        return
    data = head + f.read()
    if data:
        yield RawMessage(data=data, source=source)


class _Prefixed:
    """A binary stream with some bytes already read put back in front (for line iteration)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def __iter__(self) -> Iterator[bytes]:
        first = self.head + self.rest.readline()
        yield first
        yield from self.rest


def _iter_folder(root: Path, skipped: list[str]) -> Iterator[RawMessage]:
    """The messages of a plain folder and its sub-folders; files passed over go to `skipped`."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as e:
        raise SourceError(f"{root}: cannot list: {e.strerror or e}") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            sub = Path(entry.path)
            if (sub / "cur").is_dir() and (sub / "new").is_dir():
                yield from iter_maildir(sub)
            else:
                yield from _iter_folder(sub, skipped)
        elif entry.is_file():
            path = entry.path  # (a str: no Path object per file)
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # removed since the folder was listed
                log.warning("event=file_vanished path=%s", path)
                continue
            try:
                head = os.read(fd, _SNIFF_BYTES)
                if head.startswith(b"From "):
                    yield from _iter_mbox_fd(fd, path)
                    continue
                # (what os.path.splitext takes for the suffix of a name not hidden)
                named = entry.name.lower().endswith(FOLDER_SUFFIXES)
                if not named and not _looks_like_message(head):
                    skipped.append(path)
                    continue
                # the rest of the message from the same open file (one open, not two)
                raw = _raw_message(fd, head, path)
            finally:
                os.close(fd)
            yield raw


_SNIFF_BYTES = 512
_READ_CHUNK = 1 << 16
#: a header field at the start of a file: a name of printable characters but ':' then ':'
_HEADER_START = re.compile(rb"^(?:\xef\xbb\xbf)?[!-9;-~]{1,76}:[ \t\r\n]")


def _looks_like_message(head: bytes) -> bool:
    """Whether the first bytes of a file read like an RFC 5322 message (a header field)."""
    return bool(_HEADER_START.match(head.lstrip(b"\r\n")))


def _sorted_files(folder: Path | str) -> list[str]:
    try:
        return sorted(
            e.path for e in os.scandir(folder) if not e.name.startswith(".") and e.is_file()
        )
    except FileNotFoundError:
        return []


def read_message_file(p: Path | str) -> RawMessage | None:
    """One message file as a RawMessage; None (and a log line) if it vanished meanwhile (a
    live Maildir)."""
    raw = _read_file(str(p))
    if raw is None:
        log.warning("event=file_vanished path=%s", p)
    return raw


def _read_file(path: str) -> RawMessage | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return _raw_message(fd, b"", path)
    finally:
        os.close(fd)


def _raw_message(fd: int, head: bytes, path: str) -> RawMessage:
    """The message in the open file `fd` at `path`, of which `head` is already read: the rest
    read to the end of the file, received when the file was written."""
    st = os.fstat(fd)
    # the size says how much is left: one read takes it (asking one byte more); the reads go
    # on until one returns nothing, should the file have grown meanwhile
    chunks = [head]
    want = max(st.st_size - len(head), 0) + 1
    while chunk := os.read(fd, want):
        chunks.append(chunk)
        want = _READ_CHUNK
    received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(st.st_mtime)))
    return RawMessage(data=b"".join(chunks), source=path, received_at=received)


def _iter_mbox_fd(fd: int, source: str) -> Iterator[RawMessage]:
    """The messages of the mbox open as `fd` (from its start); `fd` stays open."""
    with open(fd, "rb", closefd=False) as f:
        f.seek(0)
        yield from iter_mbox(f, source)


def _mbox_message(
    from_line: bytes | None, lines: list[bytes], source: str, index: int, offset: int
) -> RawMessage:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines.pop()  # the blank line that separates messages
    return RawMessage(
        data=b"".join(lines),
        source=source,
        received_at=_from_line_date(from_line),
        mbox_index=index,
        mbox_offset=offset,
    )


def _from_line_date(from_line: bytes | None) -> str | None:
    if not from_line:
        return None
    m = _ASCTIME.search(from_line.decode("ascii", "replace"))
    if not m:
        return None
    try:
        dt = datetime.strptime(" ".join(m.groups()), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
