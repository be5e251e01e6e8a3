"""A pass against a real Dovecot when the database fails under it (disk full), or when a message
is hard to record: nothing that is not committed may leave the mailbox, and one message never
holds up the others."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import (
    DaemonProcess,
    ImapAccount,
    db_count,
    run_once,
    synthetic_bounces,
    wait_for,
)
from fixture_files import fixture

from bouncewatch.errors import StoreError
from bouncewatch.model import ParseOptions
from bouncewatch.service import PassStats, run_pass
from bouncewatch.sources.imap import Credentials, open_folder
from bouncewatch.store import Store

pytestmark = pytest.mark.imap


def many_recipients(n: int) -> bytes:
    """One DSN for `n` recipients: more than the "disk" below has room for."""
    blocks = "".join(
        f"Final-Recipient: rfc822; many{i:05d}@example.org\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n"
        for i in range(n)
    )
    return (
        "From: MAILER-DAEMON@mx.example.net\nTo: bounces@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <many@mx.example.net>\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="B"\n\n--B\nContent-Type: text/plain\n\nDelivery failed.\n\n--B\n'
        "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"{blocks}--B--\n"
    ).encode()


def one_pass(imap_account: ImapAccount, db: Path) -> PassStats:
    """One pass of the service over the account's INBOX into the database at `db`."""
    with Store.open(db) as store:
        folder = open_folder(
            imap_account.mailbox(), Credentials(imap_account.user, imap_account.password)
        )
        try:
            return run_pass(folder, store, ParseOptions())
        finally:
            folder.logout()


def test_disk_full_mid_batch_acknowledges_nothing_the_rollback_took(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    small = synthetic_bounces(2, tag="full")
    imap_account.append([small[0], many_recipients(3000), small[1]])
    db = tmp_path / "bw.db"
    store = Store.open(db)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 40}")  # SQLITE_FULL past that
    mb = imap_account.mailbox()
    folder = open_folder(mb, Credentials(imap_account.user, imap_account.password))
    try:
        with pytest.raises(StoreError, match="disk is full"):
            run_pass(folder, store, ParseOptions())
    finally:
        folder.logout()
        store.close()
    recorded = db_count(db, "SELECT count(*) FROM messages")
    left = imap_account.count("INBOX")
    moved = imap_account.count("Processed") + imap_account.count("Unrecognized")
    # the first message was rolled back with the batch: it must still be in the folder
    assert (recorded, left, moved) == (0, 3, 0)


def test_a_bounce_dated_year_one_is_recorded_and_does_not_block_the_mailbox(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    good = synthetic_bounces(2, tag="y1")
    odd = synthetic_bounces(1, tag="odd")[0]
    odd = odd.replace(b"Status: 5.1.1", b"Status: 4.2.2").replace(
        b"Action: failed", b"Action: failed\r\nLast-Attempt-Date: Mon, 1 Jan 0001 00:00:00 +0000"
    )
    assert b"0001" in odd
    imap_account.append([good[0], odd, good[1]])
    db = tmp_path / "bw.db"
    stats = one_pass(imap_account, db)
    assert stats.failed == 0
    assert db_count(db, "SELECT count(*) FROM messages") == 3
    assert imap_account.count("INBOX") == 0


def test_a_bounce_with_8bit_bytes_in_its_from_domain_is_recorded(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    good = synthetic_bounces(2, tag="8bit")
    text = fixture("sendmail-text-01").read_bytes()
    # a sloppy MTA's From line: a Latin-1 byte in the domain (the text bounce's reporting MTA)
    odd = text.replace(b"MAILER-DAEMON@mail.example.com", b"MAILER-DAEMON@mail.caf\xe9.example", 1)
    assert odd != text
    imap_account.append([good[0], odd, good[1]])
    db = tmp_path / "bw.db"
    stats = one_pass(imap_account, db)
    assert stats.failed == 0
    assert db_count(db, "SELECT count(*) FROM messages") == 3
    assert (
        # the byte read as Latin-1 (parse reads raw header bytes as UTF-8, else Latin-1)
        db_count(db, "SELECT count(*) FROM events WHERE reporting_mta = 'mail.caf\u00e9.example'")
        == 1
    )
    assert imap_account.count("INBOX") == 0


def test_run_once_when_the_database_fails_exits_75_with_one_line_and_acknowledges_nothing(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    imap_account.append(synthetic_bounces(3, tag="once"))
    db = tmp_path / "bw.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    # what SQLite does on a full disk: the statement fails and the transaction is rolled back
    conn.execute(
        "CREATE TRIGGER disk_full BEFORE INSERT ON messages WHEN NEW.source LIKE 'imap:%' "
        "BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END"
    )
    conn.commit()
    conn.close()
    proc = run_once(imap_account.config_toml(db))
    assert proc.returncode == 75, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "disk is full" in proc.stderr
    assert imap_account.count("INBOX") == 3
    assert imap_account.count("Processed") == 0


def test_the_daemon_waits_out_a_full_disk_and_loses_nothing(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    imap_account.append(synthetic_bounces(3, tag="wait"))
    db = tmp_path / "bw.db"
    Store.open(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER disk_full BEFORE INSERT ON messages WHEN NEW.source LIKE 'imap:%' "
            "BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END"
        )
    conn.close()
    d = DaemonProcess(imap_account.config_toml(db))
    daemons.append(d)
    assert wait_for(lambda: "store_failed" in d.log, 20), d.log
    assert imap_account.count("INBOX") == 3 and imap_account.count("Processed") == 0
    with sqlite3.connect(db) as conn:  # room again
        conn.execute("DROP TRIGGER disk_full")
    conn.close()
    assert wait_for(lambda: imap_account.count("Processed") == 3, 30), d.log
    assert db_count(db, "SELECT count(*) FROM messages") == 3
    assert "Traceback" not in d.log and "worker_error" not in d.log
