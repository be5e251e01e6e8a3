"""The bounded IMAP transport against a scripted server that misbehaves (tests/scripted_imap.py)
and against the real Dovecot: a deadline per command and per pass, literals bounded on the
bytes actually read, whatever size the server announces."""

from __future__ import annotations

import imaplib
import logging
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import ImapAccount, demo_messages
from scripted_imap import ScriptedImap

from bouncewatch.sources.imap import Credentials, ImapFolder, open_folder
from bouncewatch.sources.imap_transport import BoundedIMAPClient, Limits

MESSAGE = demo_messages()[0]


def client_for(server: ScriptedImap, **limits: object) -> BoundedIMAPClient:
    c = BoundedIMAPClient("127.0.0.1", port=server.port, ssl=False, limits=Limits(**limits))
    c.login(server.user, server.password)
    return c


def test_a_server_trickling_bytes_is_cut_at_the_command_deadline() -> None:
    # one byte every 0.3 s: no socket read ever times out, the SELECT answer would take a minute
    with ScriptedImap(trickle=0.3) as server:
        client = client_for(server, command_timeout=1.5, read_timeout=5.0)
        started = time.monotonic()
        with pytest.raises(imaplib.IMAP4.abort, match="command deadline"):
            client.select_folder("INBOX")
        assert time.monotonic() - started < 10
        client.shutdown()


def test_the_pass_deadline_bounds_commands_that_each_fit_their_own() -> None:
    with ScriptedImap(trickle=0.05) as server:
        client = client_for(server, command_timeout=60.0)
        client.transport.set_pass_deadline(1.0)
        with pytest.raises(imaplib.IMAP4.abort, match="pass deadline"):
            for _ in range(100):  # each NOOP takes ~1 s at this pace; the pass allows 1 s
                client.noop()
        client.shutdown()


def test_a_literal_bigger_than_the_limit_is_kept_to_the_limit_and_read_through() -> None:
    extra = 8 * 1024 * 1024  # RFC822.SIZE says ~2 KB; the literal holds 8 MiB more
    limit = 64 * 1024 + 1
    with ScriptedImap(literal_extra=extra) as server:
        uid = server.add(MESSAGE)
        client = client_for(server, literal_limit=limit)
        client.select_folder("INBOX")
        tracemalloc.start()
        try:
            resp = client.fetch([uid], ["BODY.PEEK[]"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        body = resp[uid][b"BODY[]"]
        assert len(body) == limit
        assert body.startswith(MESSAGE)
        assert client.transport.truncated_literals == 1
        assert peak < 2 * 1024 * 1024  # never the whole 8 MiB
        # the connection stayed in step: the next command works
        assert client.search(["NOT", "DELETED"]) == [uid]
        client.logout()


def test_an_announced_50_gb_literal_is_an_abort_not_a_memory_error() -> None:
    with ScriptedImap(announce_literal=50 * 1024**3) as server:
        uid = server.add(MESSAGE)
        client = client_for(server, literal_limit=1024 * 1024 + 1, command_timeout=10.0)
        client.select_folder("INBOX")
        tracemalloc.start()
        try:
            with pytest.raises(imaplib.IMAP4.abort, match="EOF"):
                client.fetch([uid], ["BODY.PEEK[]"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 4 * 1024 * 1024
        client.shutdown()


def test_literals_within_the_limit_arrive_whole() -> None:
    with ScriptedImap() as server:
        uids = [server.add(MESSAGE), server.add(MESSAGE + b"\nmore\n")]
        client = client_for(server, literal_limit=len(MESSAGE) + 100)
        client.select_folder("INBOX")
        resp = client.fetch(uids, ["BODY.PEEK[]"])
        assert [resp[u][b"BODY[]"] for u in uids] == [MESSAGE, MESSAGE + b"\nmore\n"]
        assert client.transport.truncated_literals == 0
        client.logout()


@pytest.mark.imap
def test_dovecot_through_the_bounded_transport(imap_account: ImapAccount) -> None:
    imap_account.append([MESSAGE])
    client = BoundedIMAPClient(
        "127.0.0.1",
        port=imap_account.server.port,
        ssl=False,
        limits=Limits(literal_limit=100),
    )
    client.login(imap_account.user, imap_account.password)
    client.select_folder("INBOX")
    (uid,) = client.search(["ALL"])
    body = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    lf = MESSAGE.replace(b"\r\n", b"\n")
    assert len(body) == 100 and lf.startswith(body.replace(b"\r\n", b"\n"))
    assert client.transport.truncated_literals == 1
    client.transport.literal_limit = None
    whole = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    assert whole.replace(b"\r\n", b"\n") == lf
    client.idle()
    client.transport.allow(0.5)
    assert client.idle_check(timeout=0.3) == []
    client.idle_done()
    client.logout()


def test_the_folder_caps_a_message_whose_literal_outruns_its_announced_size(
    tmp_path: Path,
) -> None:
    """RFC822.SIZE says 2 KB, the literal holds 4 MiB more: the message arrives cut at
    max_bytes and marked truncated (today's ingest quarantines it, see test_no_data_loss)."""
    with ScriptedImap(literal_extra=4 * 1024 * 1024) as server:
        uid = server.add(MESSAGE)
        mailbox = server.mailbox(tmp_path)
        folder = open_folder(mailbox, Credentials(server.user, server.password), max_bytes=4096)
        folder.select()
        (raw,) = [m for batch in folder.fetch([uid]) for m in batch]
        assert raw.truncated
        assert raw.data == (MESSAGE + b"X" * 4096)[:4096]
        assert folder.client.transport.literal_limit is None  # only while fetching
        (whole,) = [m for batch in ImapFolder(folder.client, mailbox).fetch([uid]) for m in batch]
        # under the default cap (10 MiB) the same literal arrives whole
        assert not whole.truncated and len(whole.data) == len(MESSAGE) + 4 * 1024 * 1024
        folder.logout()


@pytest.mark.imap
def test_imaplib_formats_nothing_for_a_logger_that_prints_nothing(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    """imapclient raises imaplib's debug level so that every line read goes to the
    "imapclient.imaplib" logger; left so, imaplib formats each line (a FETCH's bodies too)
    whether or not the logger prints it.  The bounded client keeps that level only when the
    logger is enabled for DEBUG."""
    imap_account.append([MESSAGE])

    def fetch_body() -> tuple[int, bytes]:
        client = BoundedIMAPClient("127.0.0.1", port=imap_account.server.port, ssl=False)
        client.login(imap_account.user, imap_account.password)
        client.select_folder("INBOX")
        (uid,) = client.search(["ALL"])
        body = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
        level = client._imap.debug
        client.logout()
        return level, body

    with caplog.at_level(logging.INFO, logger="imapclient.imaplib"):
        level, body = fetch_body()
    assert level == 0
    assert body.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")
    assert not [r for r in caplog.records if r.name == "imapclient.imaplib"]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="imapclient.imaplib"):
        level, _ = fetch_body()
    assert level == 5
    lines = [r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib"]
    assert any("FETCH" in line for line in lines)
    assert not any(imap_account.password in line for line in lines)
