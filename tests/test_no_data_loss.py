"""Nothing is lost, whatever the server or the message: `run --once` against the real Dovecot
(and the scripted server for what Dovecot can't be made to do).

- without UIDPLUS, no plain EXPUNGE: it would remove what another client flagged \\Deleted;
- a message cut at max_message_bytes is neither recorded as complete nor deleted;
- a non-bounce (an auto-reply) is quarantined, never deleted, whatever `after` says;
- with after = "flag" on a server without keywords, a message that failed to record is tried
  again on the next pass.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import DEMO_MAIL, ImapAccount, db_count, demo_messages, run_once
from dovecot import HOST_NO_UIDPLUS
from scripted_imap import ScriptedImap

pytestmark = pytest.mark.imap


def dsn_with_recipients(n: int) -> bytes:
    blocks = "".join(
        f"Final-Recipient: rfc822; user{i:05d}@example.com\r\nAction: failed\r\n"
        f"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        for i in range(n)
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: bounces@news.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Date: Tue, 14 May 2024 09:58:15 +0000\r\nMessage-ID: <big-dsn@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n" + blocks + "--B--\r\n"
    ).encode()


def test_without_uidplus_another_clients_deleted_message_is_not_expunged(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    bounce = (DEMO_MAIL / "01-gmail-user-unknown.eml").read_bytes()
    note = b"From: colleague@news.example.com\r\nSubject: keep me\r\n\r\nnot yet expunged\r\n"
    imap_account.append([bounce, note])
    other = imap_account.client()
    other.select_folder("INBOX")
    theirs = max(other.search("ALL"))
    other.add_flags([theirs], ["\\Deleted"])  # flagged, not expunged: their decision to make
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db, mailbox={"host": HOST_NO_UIDPLUS, "after": "delete"})
    proc = run_once(config)
    assert proc.returncode == 0, proc.stderr
    assert db_count(db, "SELECT count(*) FROM events") == 1  # the bounce was recorded
    other.noop()
    assert theirs in other.search("ALL")  # still there, still theirs to expunge
    assert "expunge_skipped" in proc.stderr


def test_a_message_cut_at_the_cap_is_quarantined_not_recorded_nor_deleted(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    big = dsn_with_recipients(3000)  # ~300 KB
    imap_account.append([big])
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(
        db, mailbox={"after": "delete"}, schedule={"max_message_bytes": 64 * 1024}
    )
    proc = run_once(config)
    assert proc.returncode == 0, proc.stderr
    assert imap_account.count("INBOX") == 0
    assert imap_account.count("Unrecognized") == 1  # quarantined, not deleted
    conn = sqlite3.connect(db)
    outcome, error = conn.execute("SELECT outcome, error FROM messages").fetchone()
    assert outcome == "error"
    assert error.startswith("Truncated:") and "65536 bytes" in error
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM addresses").fetchone()[0] == 0
    conn.close()


@pytest.mark.parametrize("after", ["delete", "flag", "move"])
def test_an_auto_reply_is_quarantined_whatever_after_says(
    imap_account: ImapAccount, tmp_path: Path, after: str
) -> None:
    auto_reply = (DEMO_MAIL / "17-out-of-office.eml").read_bytes()
    bounce = (DEMO_MAIL / "01-gmail-user-unknown.eml").read_bytes()
    imap_account.append([auto_reply, bounce])
    db = tmp_path / "bw.db"
    proc = run_once(imap_account.config_toml(db, mailbox={"after": after}))
    assert proc.returncode == 0, proc.stderr
    assert imap_account.bodies("Unrecognized") == [auto_reply]
    assert db_count(db, "SELECT count(*) FROM messages WHERE kind = 'auto_reply'") == 1


def test_flag_mode_without_keywords_retries_a_message_that_failed_to_record(
    tmp_path: Path,
) -> None:
    messages = demo_messages()[:3]
    db = tmp_path / "bw.db"
    with ScriptedImap(keywords=False) as server:
        password = tmp_path / "password"
        password.write_text(server.password + "\n")
        password.chmod(0o600)
        config = tmp_path / "config.toml"
        config.write_text(
            f'database = "{db}"\n\n[[mailbox]]\nname = "bounces"\nhost = "127.0.0.1"\n'
            f'port = {server.port}\nsecurity = "plain"\nusername = "{server.user}"\n'
            f'password_file = "{password}"\nafter = "flag"\n'
        )
        assert run_once(config).returncode == 0  # creates the database
        uids = [server.add(m) for m in messages]
        conn = sqlite3.connect(db)
        conn.execute(
            "CREATE TRIGGER fail_one BEFORE INSERT ON messages "
            f"WHEN NEW.uid = {uids[1]} BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )
        conn.commit()
        first = run_once(config)
        assert "record_failed" in first.stderr, first.stderr
        assert db_count(db, "SELECT count(*) FROM messages") == 2
        conn.execute("DROP TRIGGER fail_one")
        conn.commit()
        conn.close()
        second = run_once(config)
        assert second.returncode == 0, second.stderr
        recorded = db_count(db, "SELECT count(*) FROM messages WHERE uid = ?", uids[1])
        assert recorded == 1, second.stderr
        assert db_count(db, "SELECT count(*) FROM messages") == 3
