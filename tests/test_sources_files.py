"""Reading messages from files, folders, Maildirs, mboxes and stdin."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from bouncewatch.errors import SourceError
from bouncewatch.sources.files import iter_path, iter_paths, total_size

MSG_A = b"From: a@example.org\nSubject: one\n\nFirst body.\n"
MSG_B = b"From: b@example.org\nSubject: two\n\nSecond body.\n"


def test_single_file_with_mtime(tmp_path: Path) -> None:
    p = tmp_path / "one.eml"
    p.write_bytes(MSG_A)
    os.utime(p, (1_700_000_000, 1_700_000_000))
    (msg,) = iter_path(str(p))
    assert msg.data == MSG_A and msg.source == str(p)
    assert msg.received_at == "2023-11-14T22:13:20Z"
    assert msg.uid is None


def test_folder_reads_eml_and_mbox_files_recursively_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.eml").write_bytes(MSG_B)
    (tmp_path / "a.eml").write_bytes(MSG_A)
    (tmp_path / "a.json").write_text("{}")  # expected results beside fixtures: skipped
    (tmp_path / ".hidden.eml").write_bytes(MSG_A)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.EML").write_bytes(b"Subject: three\n\n3\n")
    (tmp_path / "sub" / "box.mbox").write_bytes(b"From x@y Sat Jan  3 01:05:34 2026\n" + MSG_A)
    got = [(Path(m.source).name, m.data[:20]) for m in iter_path(str(tmp_path))]
    assert got == [
        ("a.eml", MSG_A[:20]),
        ("b.eml", MSG_B[:20]),
        ("box.mbox", MSG_A[:20]),
        ("c.EML", b"Subject: three\n\n3\n"),
    ]
    assert total_size([str(tmp_path)]) == 2 * len(MSG_A) + len(MSG_B) + 18 + 34


def test_maildir_new_then_cur(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "cur" / "1700000001.M1P1.host:2,S").write_bytes(MSG_A)
    (tmp_path / "new" / "1700000002.M2P1.host").write_bytes(MSG_B)
    (tmp_path / "tmp" / "1700000003.M3P1.host").write_bytes(b"half-written")
    (tmp_path / ".Junk").mkdir()
    got = [m.data for m in iter_path(str(tmp_path))]
    assert got == [MSG_B, MSG_A]


def test_mbox_streams_messages_and_undoes_from_quoting(tmp_path: Path) -> None:
    mbox = tmp_path / "bounces"
    mbox.write_bytes(
        b"From MAILER-DAEMON Mon Nov 23 02:52:58 2026\n"
        b"Subject: one\n\nHello\n>From the start of a line\n>>From twice\nFrom inside text\n\n"
        b"From MAILER-DAEMON@example.net  Tue Nov 24 10:00:00 2026\n"
        b"Subject: two\r\n\r\nCRLF body\r\n\r\n"
        b"From an empty message\n\n"
    )
    msgs = list(iter_path(str(mbox)))
    assert [m.received_at for m in msgs] == ["2026-11-23T02:52:58Z", "2026-11-24T10:00:00Z"]
    assert msgs[0].data == (
        b"Subject: one\n\nHello\nFrom the start of a line\n>From twice\nFrom inside text\n"
    )
    assert msgs[1].data == b"Subject: two\r\n\r\nCRLF body\r\n"
    assert all(m.source == str(mbox) for m in msgs)


def test_a_big_mbox_is_read_one_message_at_a_time(tmp_path: Path) -> None:
    mbox = tmp_path / "big.mbox"
    with mbox.open("wb") as f:
        for i in range(2000):
            f.write(b"From x@example.org Mon Nov 23 02:52:58 2026\n")
            f.write(b"Subject: %d\n\n" % i + b"line of text\n" * 50 + b"\n")
    it = iter_path(str(mbox))
    first = next(it)
    assert first.data.startswith(b"Subject: 0\n")
    assert sum(1 for _ in it) == 1999  # a generator: nothing was read ahead


def test_stdin_single_message_and_postfix_pipe_from_line() -> None:
    (msg,) = iter_path("-", stdin=io.BytesIO(MSG_A))
    assert msg.data == MSG_A and msg.source == "stdin"
    piped = b"From MAILER-DAEMON  Mon Nov 23 02:52:58 2026\n" + MSG_B
    (msg,) = iter_path("-", stdin=io.BytesIO(piped))
    assert msg.data == MSG_B and msg.received_at == "2026-11-23T02:52:58Z"
    assert list(iter_path("-", stdin=io.BytesIO(b""))) == []


def test_missing_and_unreadable_paths_raise_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        list(iter_path(str(tmp_path / "nope.eml")))
    if os.geteuid() != 0:  # root reads everything
        p = tmp_path / "secret.eml"
        p.write_bytes(MSG_A)
        p.chmod(0)
        with pytest.raises(SourceError, match="permission denied"):
            list(iter_path(str(p)))


def test_several_paths_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(MSG_A)
    (tmp_path / "b.eml").write_bytes(MSG_B)
    got = [m.data for m in iter_paths([str(tmp_path / "b.eml"), str(tmp_path / "a.eml")])]
    assert got == [MSG_B, MSG_A]


def test_a_file_removed_while_its_folder_is_read_is_skipped_not_fatal(tmp_path: Path) -> None:
    for name, data in (("a.eml", MSG_A), ("b.eml", MSG_B), ("c.eml", MSG_A + b"third\n")):
        (tmp_path / name).write_bytes(data)
    messages = iter_path(str(tmp_path))
    first = next(messages)
    (tmp_path / "b.eml").unlink()  # another program cleans the spool meanwhile
    rest = list(messages)
    assert [m.source for m in (first, *rest)] == [str(tmp_path / "a.eml"), str(tmp_path / "c.eml")]


def test_a_maildir_message_whose_flags_change_while_it_is_read_is_not_missed(
    tmp_path: Path,
) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    names = ["1700000001.M1P1.host:2,", "1700000002.M2P1.host:2,", "1700000003.M3P1.host:2,S"]
    for name, data in zip(names, (MSG_A, MSG_B, MSG_A + b"third\n"), strict=True):
        (tmp_path / "cur" / name).write_bytes(data)
    messages = iter_path(str(tmp_path))
    first = next(messages)
    # a mail client marks the second message read: Maildir renames it to ...:2,S
    os.rename(tmp_path / "cur" / names[1], tmp_path / "cur" / (names[1] + "S"))
    got = [first.data, *(m.data for m in messages)]
    assert got == [MSG_A, MSG_B, MSG_A + b"third\n"]


def test_a_message_larger_than_a_read_is_read_whole(tmp_path: Path) -> None:
    # (the sniff reads the first 512 bytes, the size the rest, a growing file in chunks)
    big = MSG_A + b"".join(b"line %06d of a long returned message\n" % i for i in range(9000))
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "big.eml").write_bytes(big)
    (tmp_path / "big.eml").write_bytes(big)
    assert len(big) > 4 * 65536
    for path in (tmp_path / "folder", tmp_path / "big.eml"):
        (msg,) = iter_path(str(path))
        assert msg.data == big, path


def test_a_pipe_given_by_its_path_is_read_from_its_first_byte() -> None:
    # (`bouncewatch parse <(zcat bounce.eml.gz)`: a path that can be read once only)
    r, w = os.pipe()
    try:
        os.write(w, MSG_A)
        os.close(w)
        (msg,) = iter_path(f"/dev/fd/{r}")
    finally:
        os.close(r)
    assert msg.data == MSG_A


def test_a_path_is_named_as_pathlib_writes_it() -> None:
    # (every path of up to six characters made of "a", "." and "/", and a few longer ones)
    from itertools import product

    from bouncewatch.sources.files import _as_pathlib_writes

    paths = ["".join(p) for n in range(7) for p in product("a./", repeat=n)]
    paths += ["/tmp//x/./y.eml/", "./.hidden/.", "a/../b", "//host/share", "x/.../y"]
    for path in paths:
        assert _as_pathlib_writes(path) == str(Path(path)), path


def test_before_wait_is_called_for_stdin_and_a_named_pipe_only(tmp_path: Path) -> None:
    import threading

    (tmp_path / "one.eml").write_bytes(MSG_A)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "two.eml").write_bytes(MSG_B)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    calls: list[str] = []

    def read(path: str, stdin: io.BytesIO | None = None) -> list[bytes]:
        return [m.data for m in iter_path(path, stdin, before_wait=lambda: calls.append(path))]

    assert read(str(tmp_path / "one.eml")) == [MSG_A]
    assert read(str(tmp_path / "folder")) == [MSG_B]
    assert calls == []
    assert read("-", io.BytesIO(MSG_A)) == [MSG_A]
    writer = threading.Thread(target=fifo.write_bytes, args=(MSG_B,))
    writer.start()
    assert read(str(fifo)) == [MSG_B]
    writer.join()
    assert calls == ["-", str(fifo)]
