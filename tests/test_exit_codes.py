"""Exit codes by cause: retrying helps → 75; it never will → a code systemd does not restart on,
with one log line.  The exit-code table of docs/service.md, `run --help` and the unit agree with `exits`."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DaemonProcess, ImapAccount, db_count, run_once, synthetic_bounces

from bouncewatch.cli import main
from bouncewatch.errors import (
    AuthenticationError,
    CertificateError,
    ConfigError,
    SourceError,
    StoreBusyError,
    StoreError,
    StoreWriteError,
)
from bouncewatch.exits import EX_CONFIG, EX_NOPERM, EX_TEMPFAIL, EXIT_CODES, NO_RESTART, classify

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (SourceError("cannot connect to h:993: ConnectionRefusedError"), EX_TEMPFAIL),
        (StoreBusyError("locked by another process"), EX_TEMPFAIL),
        (StoreWriteError("database failed, batch rolled back: disk is full"), EX_TEMPFAIL),
        (sqlite3.OperationalError("database or disk is full"), EX_TEMPFAIL),
        (AuthenticationError("refused"), EX_NOPERM),
        (CertificateError("TLS certificate of h:993 not trusted"), EX_CONFIG),
        (ConfigError("mailbox: no [[mailbox]] configured"), EX_CONFIG),
        (StoreError("not a bouncewatch database"), EX_CONFIG),
        (sqlite3.DatabaseError("database disk image is malformed"), EX_CONFIG),
    ],
)
def test_each_cause_has_its_code(exc: BaseException, code: int) -> None:
    assert classify(exc)[0] == code


def test_readme_run_help_and_unit_agree_with_the_table() -> None:
    readme = (REPO / "docs" / "service.md").read_text()
    rows = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"^\| (\d+) \| .*? \| (.*?) \|$", readme, re.M)
    }
    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    unit = (REPO / "systemd" / "bouncewatch.service").read_text()
    prevent = re.search(r"^RestartPreventExitStatus=(.*)$", unit, re.M)
    assert prevent is not None
    assert tuple(sorted(int(x) for x in prevent.group(1).split())) == tuple(sorted(NO_RESTART))
    for entry in EXIT_CODES:
        assert entry.code in rows, f"docs/service.md's exit-code table lacks {entry.code}"
        assert ("not restarted" in rows[entry.code]) == (entry.code in NO_RESTART)
        assert re.search(rf"^\s+{entry.code}\s", help_text, re.M), f"run --help lacks {entry.code}"
        assert ("not restarted" in help_text.split(f"{entry.code} ", 1)[1].splitlines()[0]) == (
            entry.code in NO_RESTART
        )
    assert set(rows) == {e.code for e in EXIT_CODES}


def _damage(db: Path) -> None:
    """Overwrite the root page of the messages table's indexes with garbage, the way a torn
    write or a failing disk leaves a page."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    roots = [
        r[0]
        for r in conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'"
        )
    ]
    conn.close()
    assert roots
    with db.open("r+b") as f:
        for root in roots:
            f.seek((root - 1) * page_size)
            f.write(b"\xa5" * page_size)


@pytest.mark.imap
def test_a_damaged_database_stops_run_once_with_one_line_and_a_non_restarting_code(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    db = tmp_path / "bw.db"
    imap_account.append(synthetic_bounces(3, tag="before"))
    assert run_once(imap_account.config_toml(db)).returncode == 0
    _damage(db)
    imap_account.append(synthetic_bounces(5, tag="after"))
    proc = run_once(imap_account.config_toml(db))
    assert proc.returncode == EX_CONFIG, proc.stderr
    assert EX_CONFIG in NO_RESTART
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len([x for x in lines if "store_damaged" in x]) == 1, proc.stderr
    assert not [x for x in lines if "record_failed" in x], proc.stderr
    assert imap_account.count("INBOX") == 5  # nothing acknowledged
    assert db_count(db, "SELECT count(*) FROM sqlite_master") > 0


@pytest.mark.imap
def test_the_daemon_stops_for_good_on_an_untrusted_certificate_and_a_damaged_database(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    """The long-running daemon too: no backoff loop on what a retry never fixes."""
    srv = imap_account.server
    db = tmp_path / "bw.db"
    imap_account.append(synthetic_bounces(2, tag="cert"))
    tls = {"host": "localhost", "port": srv.ssl_port, "security": "tls"}
    untrusted = DaemonProcess(imap_account.config_toml(db, mailbox=tls))
    daemons.append(untrusted)
    assert untrusted.wait(60) == EX_CONFIG, untrusted.log
    assert len([x for x in untrusted.log.splitlines() if "certificate_untrusted" in x]) == 1
    assert "retry_in" not in untrusted.log
    assert run_once(imap_account.config_toml(db)).returncode == 0
    _damage(db)
    imap_account.append(synthetic_bounces(4, tag="damaged"))
    damaged = DaemonProcess(imap_account.config_toml(db))
    daemons.append(damaged)
    assert damaged.wait(60) == EX_CONFIG, damaged.log
    assert len([x for x in damaged.log.splitlines() if "store_damaged" in x]) == 1, damaged.log
    assert imap_account.count("INBOX") == 4
