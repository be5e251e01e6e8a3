"""The IMAP source against a real Dovecot: TLS, STARTTLS, plain, credentials, fetch,
acknowledgement (move, copy+expunge, flag, delete), size cap, IDLE."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

import pytest
from conftest import ImapAccount, demo_messages
from dovecot import HOST_NO_IDLE, HOST_NO_MOVE

from bouncewatch.errors import AuthenticationError, SourceError
from bouncewatch.sources.imap import (
    PROCESSED_KEYWORD,
    Credentials,
    ImapFolder,
    announces_new_mail,
    connect,
    is_loopback,
    open_folder,
    plan_batches,
)

pytestmark = pytest.mark.imap


def creds(account: ImapAccount, password: str | None = None) -> Credentials:
    return Credentials(account.user, password or account.password)


def folder_for(account: ImapAccount, **overrides: object) -> ImapFolder:
    mb = account.mailbox(**overrides)
    f = open_folder(mb, creds(account))
    f.select()
    return f


# --- pure parts ----------------------------------------------------------------------------


def test_plan_batches_bounds_count_and_bytes() -> None:
    sizes = [(uid, 100) for uid in range(1, 11)]
    assert plan_batches(sizes, max_count=4, max_bytes=10_000) == [
        [1, 2, 3, 4], [5, 6, 7, 8], [9, 10]
    ]  # fmt: skip
    assert plan_batches(sizes, max_count=100, max_bytes=250) == [
        [1, 2], [3, 4], [5, 6], [7, 8], [9, 10]
    ]  # fmt: skip


def test_plan_batches_big_message_travels_alone_counted_at_the_cap() -> None:
    sizes = [(1, 10), (2, 50_000_000), (3, 10)]
    assert plan_batches(sizes, max_count=100, max_bytes=1000) == [[1], [2], [3]]
    # with a cap of 500 bytes the big one counts as 500 and fits with the others
    assert plan_batches(sizes, max_count=100, max_bytes=1000, cap=500) == [[1, 2, 3]]


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("imap.example.com") and not is_loopback("192.0.2.1")


def test_credentials_never_print_the_secret() -> None:
    c = Credentials("bounces@example.com", password="hunter2-secret")
    assert "hunter2" not in repr(c) and "hunter2" not in str(c)


# --- connecting ----------------------------------------------------------------------------


def test_implicit_tls_with_private_ca(imap_account: ImapAccount) -> None:
    srv = imap_account.server
    mb = imap_account.mailbox(
        host="localhost", port=srv.ssl_port, security="tls", ca_file=srv.cafile
    )
    client = connect(mb, creds(imap_account))
    assert client.folder_exists("INBOX")
    assert client._imap.sock.version() in ("TLSv1.2", "TLSv1.3")
    client.logout()


def test_starttls_with_private_ca(imap_account: ImapAccount) -> None:
    srv = imap_account.server
    mb = imap_account.mailbox(host="localhost", security="starttls", ca_file=srv.cafile)
    client = connect(mb, creds(imap_account))
    assert client._imap.sock.version() in ("TLSv1.2", "TLSv1.3")
    client.logout()


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_untrusted_certificate_is_refused(imap_account: ImapAccount, security: str) -> None:
    srv = imap_account.server
    port = srv.ssl_port if security == "tls" else srv.port
    mb = imap_account.mailbox(host="localhost", port=port, security=security)  # system CAs only
    with pytest.raises(SourceError, match="not trusted"):
        connect(mb, creds(imap_account))


def test_plain_refused_for_a_remote_host(imap_account: ImapAccount) -> None:
    mb = replace(imap_account.mailbox(), host="imap.example.com")
    with pytest.raises(SourceError, match="loopback"):
        connect(mb, creds(imap_account))


def test_wrong_password_is_an_authentication_error(imap_account: ImapAccount) -> None:
    with pytest.raises(AuthenticationError) as err:
        connect(imap_account.mailbox(), creds(imap_account, "not-the-password"))
    assert "not-the-password" not in str(err.value)
    assert imap_account.user in str(err.value)


def test_connection_refused_is_a_source_error(imap_account: ImapAccount) -> None:
    from dovecot import free_port

    mb = imap_account.mailbox(port=free_port())
    with pytest.raises(SourceError, match="cannot connect") as err:
        connect(mb, creds(imap_account))
    assert not isinstance(err.value, AuthenticationError)


# --- fetching ------------------------------------------------------------------------------


def test_fetch_returns_the_bytes_and_leaves_messages_unseen(imap_account: ImapAccount) -> None:
    msgs = demo_messages()[:5]
    imap_account.append(msgs)
    f = folder_for(imap_account)
    uids = f.pending_uids()
    assert len(uids) == 5
    batches = list(f.fetch(uids))
    raws = [r for b in batches for r in b]
    assert [r.data for r in raws] == msgs
    assert [r.uid for r in raws] == uids
    assert all(r.uidvalidity == f.uidvalidity and r.source == "imap:bounces/INBOX" for r in raws)
    assert all(r.received_at and r.received_at.endswith("Z") for r in raws)
    assert imap_account.uids("INBOX", "UNSEEN") == uids  # BODY.PEEK: nothing marked \Seen
    f.logout()


def test_fetch_in_bounded_batches(imap_account: ImapAccount) -> None:
    msgs = demo_messages()
    imap_account.append(msgs)
    f = folder_for(imap_account)
    f.batch_count = 6
    batches = list(f.fetch(f.pending_uids()))
    assert [len(b) for b in batches] == [6, 6, 6, 2]
    f.logout()


def test_huge_message_is_fetched_once_truncated_to_the_cap(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    small = demo_messages()[0]
    huge = small + b"\r\n" + (b"x" * 998 + b"\r\n") * 3000  # ~3 MB
    imap_account.append([small, huge, small])
    mb = imap_account.mailbox()
    f = open_folder(mb, creds(imap_account), max_bytes=64 * 1024)
    f.select()
    with caplog.at_level(logging.INFO, logger="bouncewatch.sources.imap"):
        raws = [r for b in f.fetch(f.pending_uids()) for r in b]
    assert [len(r.data) for r in raws] == [len(small), 64 * 1024, len(small)]
    assert raws[1].data == huge[: 64 * 1024]
    assert sum("message_truncated" in r.getMessage() for r in caplog.records) == 1
    f.logout()


# --- acknowledging -------------------------------------------------------------------------


def test_ack_move_creates_folders_and_moves(imap_account: ImapAccount) -> None:
    imap_account.append(demo_messages()[:4])
    f = folder_for(imap_account)
    assert f.has("MOVE")
    uids = f.pending_uids()
    f.ack(uids[:3], uids[3:])
    assert imap_account.count("INBOX") == 0
    assert imap_account.count("Processed") == 3
    assert imap_account.count("Unrecognized") == 1
    assert f.pending_uids() == []
    f.logout()


def test_ack_without_move_capability_copies_and_expunges(imap_account: ImapAccount) -> None:
    msgs = demo_messages()[:4]
    imap_account.append(msgs)
    other = demo_messages()[5]
    f = folder_for(imap_account, host=HOST_NO_MOVE)
    assert not f.has("MOVE") and f.has("UIDPLUS")
    uids = f.pending_uids()
    # another message marked \Deleted by someone else must survive our expunge
    c = imap_account.client()
    c.append("INBOX", other, flags=["\\Deleted"])
    f.ack(uids[:3], uids[3:])
    assert imap_account.bodies("Processed") == msgs[:3]
    assert imap_account.bodies("Unrecognized") == msgs[3:]
    assert imap_account.bodies("INBOX") == [other]
    f.logout()


def test_ack_flag_keeps_messages_and_skips_them_next_time(imap_account: ImapAccount) -> None:
    imap_account.append(demo_messages()[:3])
    f = folder_for(imap_account, after="flag")
    uids = f.pending_uids()
    f.ack(uids[:2], uids[2:])
    assert imap_account.count("INBOX") == 2
    assert imap_account.uids("INBOX", "SEEN") == uids[:2]
    c = imap_account.client()
    c.select_folder("INBOX", readonly=True)
    flags = c.get_flags(uids[:2])
    assert all(PROCESSED_KEYWORD.encode() in fl for fl in flags.values())
    assert imap_account.count("Unrecognized") == 1
    assert f.pending_uids() == []
    imap_account.append(demo_messages()[3:4])
    assert len(f.pending_uids()) == 1
    f.logout()


def test_ack_delete_removes_processed_but_quarantines_the_rest(imap_account: ImapAccount) -> None:
    imap_account.append(demo_messages()[:3])
    f = folder_for(imap_account, after="delete")
    uids = f.pending_uids()
    f.ack(uids[:2], uids[2:])
    assert imap_account.count("INBOX") == 0
    assert imap_account.count("Unrecognized") == 1
    c = imap_account.client()
    assert not c.folder_exists("Processed")
    f.logout()


# --- IDLE ----------------------------------------------------------------------------------


def test_idle_announces_a_new_message_within_seconds(imap_account: ImapAccount) -> None:
    f = folder_for(imap_account)
    assert f.can_idle()
    f.idle_start()
    appended = threading.Timer(0.3, imap_account.append, args=([demo_messages()[0]],))
    appended.start()
    started = time.monotonic()
    seen = False
    while time.monotonic() - started < 8 and not seen:
        seen = announces_new_mail(f.idle_wait(1.0))
    f.idle_stop()
    appended.join()
    assert seen
    assert time.monotonic() - started < 5
    assert len(f.pending_uids()) == 1
    f.logout()


def test_server_without_idle_says_so(imap_account: ImapAccount) -> None:
    f = folder_for(imap_account, host=HOST_NO_IDLE)
    assert not f.can_idle() and f.has("MOVE")
    f.logout()
