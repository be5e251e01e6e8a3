"""Files and exports: the database's mode and group, readers in that group, CSV cells a
spreadsheet would run, quoted local parts."""

from __future__ import annotations

import csv
import grp
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_helpers import NOW, dsn, raw, recipient

from bouncewatch.analyze import analyze as parse_message
from bouncewatch.cli import main
from bouncewatch.reports.csv_cells import safe_cell
from bouncewatch.store import Store

READER_GID = 65534  # nogroup: a group the test process is not in


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)  # what the systemd unit used to set
    try:
        yield
    finally:
        os.umask(old)


def modes(path: Path) -> dict[str, int]:
    return {
        suffix: os.stat(f"{path}{suffix}").st_mode & 0o777
        for suffix in ("", "-wal", "-shm")
        if os.path.exists(f"{path}{suffix}")
    }


def test_the_database_and_its_wal_files_are_0640_whatever_the_umask(
    tmp_path: Path, umask_077: None
) -> None:
    path = tmp_path / "bw.db"
    with Store.open(path) as store:
        store.record(raw("a"), dsn(recipient("a@example.org")), NOW)
        assert modes(path) == {"": 0o640, "-wal": 0o640, "-shm": 0o640}


def test_a_database_an_older_version_left_0644_becomes_0640(tmp_path: Path) -> None:
    path = tmp_path / "bw.db"
    Store.open(path).close()
    os.chmod(path, 0o644)
    Store.open(path).close()
    assert modes(path)[""] == 0o640


def test_an_unknown_group_is_a_clear_error(tmp_path: Path) -> None:
    from bouncewatch.errors import StoreError

    with pytest.raises(StoreError, match="database_group: no such group 'no-such-grp'"):
        Store.open(tmp_path / "bw.db", group="no-such-grp")
    assert not (tmp_path / "bw.db").exists()


#: the reader is another program: the system's Python (or ours, when there is none)
READER_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def test_a_reader_in_the_database_group_reads_while_the_writer_holds_it_open(
    umask_077: None,
) -> None:
    # as root (the service's situation: files handed to another group) the reader runs as
    # another user; otherwise the group is one of ours and only the files are checked
    root = os.geteuid() == 0
    gid = READER_GID if root else os.getegid()
    group = grp.getgrgid(gid).gr_name
    folder = Path(tempfile.mkdtemp(prefix="bw-group-", dir="/tmp"))
    try:
        os.chown(folder, -1, gid)
        os.chmod(folder, 0o750)  # StateDirectoryMode=0750 with Group=
        path = folder / "bw.db"
        with Store.open(path, group=group) as store:
            store.record(raw("a"), dsn(recipient("a@example.org")), NOW)
            assert {os.stat(f"{path}{s}").st_gid for s in ("", "-wal", "-shm")} == {gid}
            assert modes(path) == {"": 0o640, "-wal": 0o640, "-shm": 0o640}
            if not root:
                return
            reader = (
                "import sqlite3, sys; c = sqlite3.connect(f'file:{sys.argv[1]}?mode=ro', uri=True);"
                "print(c.execute('SELECT address, state FROM suppressed').fetchall())"
            )
            done = subprocess.run(
                [READER_PYTHON, "-c", reader, str(path)],
                user=65534,
                group=READER_GID,
                extra_groups=[],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == "[('a@example.org', 'invalid')]"
            # and someone outside the group reads nothing
            other = subprocess.run(
                [READER_PYTHON, "-c", reader, str(path)],
                user=65534,
                group=0 if READER_GID != 0 else 1,
                extra_groups=[],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert other.returncode != 0
    finally:
        shutil.rmtree(folder)


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1-555-0100", "'+1-555-0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("jane@example.org", "jane@example.org"),
        (42, 42),
        (-1, -1),
        (None, None),
    ],
)
def test_csv_cells_that_start_a_formula_are_neutralised(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_export_csv_writes_no_formula(tmp_path: Path) -> None:
    db = tmp_path / "bw.db"
    evil = '=cmd|"/c calc"!A1@example.org'
    with Store.open(db) as store:
        store.record(raw("a"), dsn(recipient(evil)), NOW)
    out = CliRunner().invoke(main, ["export", "--db", str(db), "--format", "csv"])
    assert out.exit_code == 0, out.output
    (row,) = list(csv.DictReader(io.StringIO(out.output)))
    assert row["address"] == "'" + evil.lower()
    # the JSON export keeps the value exactly
    out = CliRunner().invoke(main, ["export", "--db", str(db), "--format", "json"])
    assert json.loads(out.output)[0]["address"] == evil.lower()


# --- a quoted local part ------------------------------------------------------------------------

QUOTED = '"x\'); DROP TABLE addresses;--"@example.com'

QUOTED_DSN = f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: bounces@sender.example
Subject: Undelivered Mail Returned to Sender
Date: Thu, 03 Dec 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="q1"

--q1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--q1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {QUOTED}
Original-Recipient: rfc822; {QUOTED}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{QUOTED}>: Recipient address rejected

--q1--
""".encode()


def test_a_quoted_local_part_is_kept_whole(tmp_path: Path) -> None:
    result = parse_message(QUOTED_DSN)
    assert [r.report.address for r in result.recipients] == [QUOTED]
    with Store.open(tmp_path / "bw.db") as store:
        store.record(raw("q"), result, NOW)
        rows = store.conn.execute("SELECT address, domain, state FROM addresses").fetchall()
        assert rows == [(QUOTED.lower(), "example.com", "invalid")]
        assert store.conn.execute("SELECT count(*) FROM addresses").fetchone() == (1,)
