"""The store commands end to end: real parser, real SQLite file, real fixtures."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_helpers import dsn_bytes, write_maildir

from bouncewatch.analyze import analyze
from bouncewatch.cli import main
from bouncewatch.model import event_type_for

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("BOUNCEWATCH_DB", raising=False)
    monkeypatch.delenv("BOUNCEWATCH_CONFIG", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: bytes | None = None):
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def test_ingest_the_fixture_corpus_through_the_real_parser(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = str(tmp_path / "bw.db")
    emls = sorted(FIXTURES.rglob("*.eml"))
    assert emls, "the fixture corpus is empty"
    expected_events = 0
    unrecognised = 0
    for p in emls:
        r = analyze(p.read_bytes())
        expected_events += sum(
            1
            for x in r.recipients
            if event_type_for(r.kind, x.report.action) and x.report.address.strip()
        )
        unrecognised += not r.recipients
    distinct = len({p.read_bytes() for p in emls})
    res = invoke(runner, "ingest", "--db", db, "--json", str(FIXTURES))
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["messages"] == len(emls)
    assert summary["new"] == distinct
    assert sum(summary["events"].values()) == expected_events
    assert len(summary["unrecognized"]) == unrecognised
    again = json.loads(invoke(runner, "ingest", "--db", db, "--json", str(FIXTURES)).stdout)
    assert again["new"] == 0 and again["duplicates"] == len(emls) and again["events"] == {}


def test_ingest_summary_status_export_reset(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "bw.db")
    box = tmp_path / "Maildir"
    write_maildir(box, count=40, addresses=10)
    res = invoke(runner, "ingest", "--db", db, str(box))
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0] == "messages: 40 read, 40 new"  # the first run wrote everything
    assert lines[1] == "outcomes: parsed 40"
    assert lines[2].startswith("events: soft 30, hard 10")
    assert lines[3].startswith("new suppressions: ")
    assert lines[4] == "unrecognised: 0"

    again = invoke(runner, "ingest", "--db", db, str(box)).output.splitlines()
    assert again[0] == "messages: 40 read, 0 new, 40 already recorded (skipped)"

    res = invoke(runner, "status", "--db", db, "USER0@example.org")
    assert res.exit_code == 0
    assert res.output.startswith("user0@example.org: invalid since ")
    assert "hard bounce: user_unknown 5.1.1 550" in res.output
    assert "→ invalid (hard_bounce)" in res.output
    assert "said: 550 5.1.1 Requested action not taken" in res.output

    rows = list(csv.DictReader(io.StringIO(invoke(runner, "export", "--db", db).output)))
    assert rows and set(rows[0]) == {
        "address",
        "domain",
        "state",
        "since",
        "reason",
        "status",
        "suspended_until",
    }
    invalid = {r["address"] for r in rows if r["state"] == "invalid"}
    assert "user0@example.org" in invalid
    as_json = json.loads(
        invoke(runner, "export", "--db", db, "--format", "json", "--state", "invalid").output
    )
    assert {r["address"] for r in as_json} == invalid
    text = invoke(runner, "export", "--db", db, "--format", "text", "--since", "2026-10-20").output
    assert set(text.split()) <= {r["address"] for r in rows}
    assert invoke(runner, "export", "--db", db, "--since", "yesterday-ish").exit_code == 2

    res = invoke(runner, "reset", "--db", db, "user0@example.org", "--note", "owner says it works")
    assert res.exit_code == 0 and "invalid → active (manual_reset)" in res.output
    res = invoke(runner, "status", "--db", db, "user0@example.org", "--json")
    story = json.loads(res.output)
    assert story["state"] == "active"
    assert story["history"][-1]["note"] == "owner says it works"
    assert (
        invoke(runner, "reset", "--db", db, "user0@example.org").exit_code == 2
    )  # --note required
    res = invoke(runner, "reset", "--db", db, "stranger@example.org", "--note", "x")
    assert res.exit_code == 1 and "no such address" in res.output


def test_reset_of_an_active_address_records_nothing(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "bw.db")
    (tmp_path / "m.eml").write_bytes(dsn_bytes(1, "a@example.org", "5.1.1", 550, "user unknown", 1))
    invoke(runner, "ingest", "--db", db, str(tmp_path / "m.eml"))
    assert invoke(runner, "reset", "--db", db, "a@example.org", "--note", "x").exit_code == 0
    res = invoke(runner, "reset", "--db", db, "a@example.org", "--note", "again")
    assert res.exit_code == 0
    assert "already active, nothing to reset" in res.output
    story = json.loads(invoke(runner, "status", "--db", db, "a@example.org", "--json").output)
    changes = [h for h in story["history"] if h["type"] == "change"]
    assert [(c["from_state"], c["to_state"]) for c in changes] == [
        ("active", "invalid"),
        ("invalid", "active"),
    ]


def test_status_says_when_it_cuts_a_diagnostic(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "bw.db")
    long = "user unknown " + " ".join(f"word{i}" for i in range(80)) + " THE-END"
    (tmp_path / "m.eml").write_bytes(dsn_bytes(1, "a@example.org", "5.1.1", 550, long, 1))
    invoke(runner, "ingest", "--db", db, str(tmp_path / "m.eml"))
    cut = invoke(runner, "status", "--db", db, "a@example.org").output
    assert "THE-END" not in cut
    assert re.search(r"\[cut at 300 of \d+ characters: --full shows all\]", cut)
    whole = invoke(runner, "status", "--db", db, "a@example.org", "--full").output
    assert "THE-END" in whole and "cut at" not in whole


def test_status_of_an_unknown_address_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "bw.db")
    (tmp_path / "m.eml").write_bytes(dsn_bytes(1, "a@example.org", "5.1.1", 550, "user unknown", 1))
    invoke(runner, "ingest", "--db", db, str(tmp_path / "m.eml"))
    res = invoke(runner, "status", "--db", db, "a@example.org", "nobody@example.org")
    assert res.exit_code == 1
    assert "nobody@example.org: never seen" in res.output
    assert "a@example.org: invalid since" in res.output


def test_ingest_from_stdin_and_missing_paths(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "bw.db")
    data = b"From MAILER-DAEMON Mon Nov 23 02:52:58 2026\n" + dsn_bytes(
        5, "p@example.org", "5.1.1", 550, "no such user", 2
    )
    res = invoke(runner, "ingest", "--db", db, "-", input=data)
    assert res.exit_code == 0 and "1 new" in res.output
    res = invoke(runner, "ingest", "--db", db, str(tmp_path / "missing"), "-", input=data)
    assert res.exit_code == 1
    assert "no such file or folder" in res.output and "1 already recorded" in res.output


def test_db_from_environment_and_config(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    msg = tmp_path / "m.eml"
    msg.write_bytes(dsn_bytes(1, "env@example.org", "5.1.1", 550, "user unknown", 1))
    monkeypatch.setenv("BOUNCEWATCH_DB", str(tmp_path / "env.db"))
    assert invoke(runner, "ingest", str(msg)).exit_code == 0
    assert (tmp_path / "env.db").exists()
    monkeypatch.delenv("BOUNCEWATCH_DB")
    cfg = tmp_path / "config.toml"
    cfg.write_text('database = "from-config.db"\n[policy]\nown_domains = ["example.org"]\n')
    monkeypatch.setenv("BOUNCEWATCH_CONFIG", str(cfg))
    assert invoke(runner, "ingest", str(msg)).exit_code == 0
    res = invoke(runner, "status", "env@example.org")
    assert "env@example.org: active since" in res.output  # own domain: never suppressed
    # --db wins over the configured database
    res = invoke(runner, "status", "--db", str(tmp_path / "env.db"), "env@example.org")
    assert "invalid since" in res.output


def test_check_config_masks_and_names_keys(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pw").write_text("hunter2-very-secret\n")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[[mailbox]]\nhost = "imap.example.com"\nusername = "b@example.com"\npassword_file = "pw"\n'
    )
    res = invoke(runner, "check-config", "--config", str(cfg))
    assert res.exit_code == 0, res.output
    assert "hunter2" not in res.output
    assert "secret readable (not shown)" in res.output and 'soft_window = "14d"' in res.output
    (tmp_path / "pw").unlink()
    res = invoke(runner, "check-config", "--config", str(cfg))
    assert res.exit_code == 1 and "password_file: cannot read" in res.output
    cfg.write_text("[policy]\nsoft_treshold = 3\n")
    res = invoke(runner, "check-config", "--config", str(cfg))
    assert res.exit_code == 1
    assert "policy.soft_treshold: unknown key" in res.output and "Traceback" not in res.output
    res = invoke(runner, "check-config")  # no file at all: built-in defaults
    assert res.exit_code == 0 and "built-in defaults" in res.output


def test_a_foreign_or_corrupt_database_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    for args in (["status", "x@example.org"], ["export"], ["ingest", str(tmp_path)]):
        res = invoke(runner, *args, "--db", str(bad))
        assert res.exit_code == 1
        assert "not a bouncewatch database" in res.output and "Traceback" not in res.output
    res = invoke(runner, "export", "--db", str(tmp_path / "none.db"))
    assert res.exit_code == 1 and "no such database" in res.output


def test_postfix_pipe_gets_tempfail_when_the_database_is_unusable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    proc = subprocess.run(
        [sys.executable, "-m", "bouncewatch", "ingest", "--db", str(bad), "-"],
        input=dsn_bytes(1, "a@example.org", "5.1.1", 550, "user unknown", 1),
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 75  # EX_TEMPFAIL: Postfix keeps the bounce and retries
    assert b"not a bouncewatch database" in proc.stderr


@pytest.mark.parametrize("command", ["ingest", "status", "export", "reset", "check-config"])
def test_every_store_command_has_help_with_db_and_config(runner: CliRunner, command: str) -> None:
    res = invoke(runner, command, "--help")
    assert res.exit_code == 0
    assert "--db" in res.output and "BOUNCEWATCH_DB" in res.output and "--config" in res.output


def test_ingest_a_file_whose_name_is_not_utf8(runner: CliRunner, tmp_path: Path) -> None:
    box = tmp_path / "box"
    box.mkdir()
    name = os.fsdecode(b"r\xe9sum\xe9.eml")  # a Latin-1 name on a UTF-8 system
    (box / name).write_bytes(dsn_bytes(1, "latin@example.org", "5.1.1", 550, "no such user", 3))
    db = str(tmp_path / "bw.db")
    res = invoke(runner, "ingest", "--db", db, "--json", str(box))
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["new"] == 1
    assert (
        "latin@example.org: invalid"
        in invoke(runner, "status", "--db", db, "latin@example.org").output
    )
