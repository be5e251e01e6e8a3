"""What `ingest` tells its operator: which mbox messages were unrecognised, files that were
read or passed over, no empty database after a failure, and what an interrupted run committed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_helpers import dsn_bytes, write_maildir

from bouncewatch.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOT_BOUNCE = (FIXTURES / "negative" / "negative-01.eml").read_bytes()
OTHER_NOT_BOUNCE = (FIXTURES / "negative" / "negative-02.eml").read_bytes()


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def mbox(*messages: bytes) -> bytes:
    return b"".join(
        f"From MAILER-DAEMON Mon Nov 23 02:5{i}:58 2026\n".encode() + m.rstrip(b"\n") + b"\n\n"
        for i, m in enumerate(messages)
    )


def test_unrecognised_mbox_messages_are_named_by_number_and_offset(tmp_path: Path) -> None:
    box = tmp_path / "big.mbox"
    bounce = dsn_bytes(1, "a@example.org", "5.1.1", 550, "user unknown", 1)
    box.write_bytes(mbox(NOT_BOUNCE, bounce, OTHER_NOT_BOUNCE))
    code, out, _ = invoke("ingest", "--db", str(tmp_path / "bw.db"), str(box))
    assert code == 0
    lines = out.splitlines()
    named = lines[lines.index("unrecognised: 2") + 1 :]
    assert [x.strip().rsplit("@", 1)[0] for x in named] == [f"{box}#1", f"{box}#3"]
    data = box.read_bytes()
    for line in named:
        offset = int(line.rsplit("@", 1)[1])
        assert data[offset:].startswith(b"From MAILER-DAEMON")  # the message is found there
    third = int(named[1].rsplit("@", 1)[1])
    assert data[third:].split(b"\n", 1)[1].startswith(OTHER_NOT_BOUNCE.split(b"\n", 1)[0])


def test_a_folder_of_bounces_without_eml_names_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    for i in range(3):
        (folder / str(i + 1)).write_bytes(
            dsn_bytes(i, f"u{i}@example.org", "5.1.1", 550, "user unknown", 1)
        )
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not a message")
    code, out, err = invoke("ingest", "--db", str(tmp_path / "bw.db"), str(folder))
    assert code == 0
    assert out.splitlines()[0] == "messages: 3 read, 3 new"
    assert "event=files_skipped" in err and "count=1" in err and "notes.pdf" in err


def test_a_path_with_no_message_is_an_error_not_zero_messages(tmp_path: Path) -> None:
    folder = tmp_path / "nothing-here"
    folder.mkdir()
    (folder / "readme.pdf").write_bytes(b"%PDF-1.4")
    code, _, err = invoke("ingest", "--db", str(tmp_path / "bw.db"), str(folder))
    assert code == 1
    assert f"Error: {folder}: no message found" in err


def test_a_failed_ingest_leaves_no_empty_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    code, _, err = invoke("ingest", "--db", str(db), str(tmp_path / "missing.eml"))
    assert code == 1 and "no such file or folder" in err
    assert not db.exists() and not Path(f"{db}-wal").exists()
    existing = tmp_path / "old.db"
    (tmp_path / "m.eml").write_bytes(dsn_bytes(1, "a@example.org", "5.1.1", 550, "unknown", 1))
    assert invoke("ingest", "--db", str(existing), str(tmp_path / "m.eml"))[0] == 0
    assert invoke("ingest", "--db", str(existing), str(tmp_path / "missing.eml"))[0] == 1
    assert existing.exists()  # a database that was there before is never removed


def _messages(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_ingest_says_what_it_committed(tmp_path: Path, signum: int) -> None:
    maildir = tmp_path / "Maildir"
    write_maildir(maildir, 3000)
    db = tmp_path / "bw.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bouncewatch",
            "ingest",
            "--db",
            str(db),
            "--batch",
            "250",
            str(maildir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BOUNCEWATCH_CONFIG": ""},
    )
    deadline = time.monotonic() + 120
    while (not db.exists() or _messages(db) < 250) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    committed = _messages(db)
    # the signal lands after the first of twelve batches: the ingest is still running
    assert proc.returncode == 128 + signum, err
    assert out == ""
    name = signal.Signals(signum).name
    assert f"Interrupted ({name}): {committed} message(s) committed ({committed} new)" in err
    assert 0 < committed < 3000  # the message in hand finished, its batch committed
    assert "Run the same command again" in err
