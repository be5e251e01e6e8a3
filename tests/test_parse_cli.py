"""`bouncewatch parse`: JSON lines in input order, the table, errors per input, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fixture_files import all_emls, fixture

from bouncewatch.analyze import analyze
from bouncewatch.cli import main
from bouncewatch.cli.parse_cmd import _encode_line, _line_encoder
from bouncewatch.model import DEFAULT_PARSE_OPTIONS

DSN = fixture("rfc3464-generic-01")
ARF = fixture("arf-01")
NOT = fixture("negative-01")


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["parse", *args], input=stdin)
    return result.exit_code, result.output


def test_json_lines_in_input_order() -> None:
    code, out = run("--json", str(NOT), str(DSN), str(ARF))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["file"], x["kind"]) for x in lines] == [
        (str(NOT), "not_bounce"),
        (str(DSN), "dsn"),
        (str(ARF), "complaint"),
    ]
    rcpt = lines[1]["recipients"][0]
    assert set(rcpt) == {
        "address", "original_recipient", "action", "status", "smtp_code", "bounce_type",
        "reason", "rule", "diagnostic", "remote_mta", "expired", "smtp_command",
    }  # fmt: skip
    assert rcpt["expired"] is False
    # what users of other bounce parsers expect, per message (null when unknown)
    assert {"date", "reporting_mta", "original_from", "original_subject"} <= set(lines[1])
    assert set(lines[0]) >= {"date", "original_from"}  # every parsed message has the keys
    assert (rcpt["address"], rcpt["status"], rcpt["smtp_code"]) == (
        "jane.doe@example.org",
        "5.1.1",
        550,
    )
    assert lines[1]["list_source"] == "spring-sale"
    assert lines[2]["feedback_type"] == "abuse"


def test_unreadable_file_gets_its_line_and_exit_status_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope.eml"
    code, out = run("--json", str(DSN), str(missing), str(NOT))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x["file"] for x in lines] == [str(DSN), str(missing), str(NOT)]
    # an error line, not a "not_bounce": nothing was read, so nothing was judged
    assert lines[1] == {
        "file": str(missing),
        "error": f"{missing}: no such file or folder",
        "recipients": [],
    }
    assert "error" not in lines[0] and "error" not in lines[2]


def _mbox(*messages: bytes) -> bytes:
    out = b""
    for i, data in enumerate(messages):
        out += f"From MAILER-DAEMON Mon Nov 23 02:5{i}:58 2026\n".encode()
        out += data.replace(b"\nFrom ", b"\n>From ").rstrip(b"\n") + b"\n\n"
    return out


def test_parse_reads_what_ingest_reads(tmp_path: Path) -> None:
    folder = tmp_path / "bounces"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_bytes(DSN.read_bytes())
    (folder / "sub" / "b.eml").write_bytes(ARF.read_bytes())
    box = tmp_path / "big.mbox"
    box.write_bytes(_mbox(NOT.read_bytes(), DSN.read_bytes(), ARF.read_bytes()))
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1763630000.x1.host").write_bytes(DSN.read_bytes())
    code, out = run("--json", str(folder), str(box), str(maildir))
    assert code == 0, out
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["file"], x.get("message"), x["kind"]) for x in lines] == [
        (str(folder / "a.eml"), None, "dsn"),
        (str(folder / "sub" / "b.eml"), None, "complaint"),
        (str(box), 1, "not_bounce"),
        (str(box), 2, "dsn"),
        (str(box), 3, "complaint"),
        (str(maildir / "new" / "1763630000.x1.host"), None, "dsn"),
    ]
    code, out = run("--json", "-", stdin=_mbox(DSN.read_bytes(), ARF.read_bytes()))
    assert [json.loads(x)["kind"] for x in out.splitlines()] == ["dsn", "complaint"]


def test_a_path_without_messages_gets_an_error_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out = run("--json", str(tmp_path / "empty"))
    assert code == 1
    assert json.loads(out)["error"] == f"{tmp_path / 'empty'}: no message found"


def test_a_message_with_a_parse_error_fails_the_run() -> None:
    broken = fixture("broken-10")
    code, out = run("--json", str(broken))
    assert code == 1
    assert "NoRecipients" in json.loads(out)["error"]


def test_stdin() -> None:
    code, out = run("--json", "-", stdin=DSN.read_bytes())
    assert code == 0
    line = json.loads(out)
    assert line["file"] == "-" and line["kind"] == "dsn"


def test_table() -> None:
    code, out = run(str(DSN), str(NOT))
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split() == ["file", "kind", "address", "status", "code", "type", "reason"]
    assert first.split() == [
        str(DSN),
        "dsn",
        "jane.doe@example.org",
        "5.1.1",
        "550",
        "hard",
        "user_unknown",
    ]
    assert second.split()[:2] == [str(NOT), "not_bounce"]


def test_list_source_header_override() -> None:
    code, out = run(
        "--json",
        "--list-source-header",
        "X-Nothing",
        "--list-source-header",
        "List-Id",
        str(fixture("rfc3464-generic-02")),
    )
    assert code == 0
    assert json.loads(out)["list_source"] == "offers.example.com"


def test_verp_override_and_validation(tmp_path: Path) -> None:
    data = (
        fixture("verp-01")
        .read_bytes()
        .replace(b"bounces+olivia.brown=example.org@", b"rt-olivia.brown-AT-example.org@")
    )
    path = tmp_path / "custom.eml"
    path.write_bytes(data)
    code, out = run("--json", str(path))
    assert json.loads(out)["kind"] == "not_bounce"
    code, out = run("--json", "--verp", r"rt-(?P<local>.+?)-AT-(?P<domain>[^@]+)@", str(path))
    assert code == 0
    assert json.loads(out)["recipients"][0]["address"] == "olivia.brown@example.org"
    code, out = run("--verp", "(unclosed", str(path))
    assert code == 2 and "regular expression" in out
    code, out = run("--verp", "no-groups", str(path))
    assert code == 2 and "named groups" in out


def test_parse_with_the_configuration_gives_what_ingest_records(tmp_path: Path) -> None:
    import sqlite3

    own = fixture("verp-only-01").read_bytes()
    message = tmp_path / "bounce.eml"
    message.write_bytes(
        b"X-Mailing: autumn-letter\n"
        + own.replace(b"bounces+c.lopez=olmo.example.es@", b"rebote-c.lopez=olmo.example.es@")
    )
    config = tmp_path / "bouncewatch.toml"
    config.write_text(
        f'database = "{tmp_path / "bw.db"}"\n'
        "[parse]\n"
        'list_source_headers = ["X-Mailing"]\n'
        'verp = "rebote-(?P<local>[^=@]+)=(?P<domain>[^@]+)@"\n'
    )
    _, plain = run("--json", str(message))
    assert json.loads(plain)["recipients"] == []  # the built-in VERP pattern doesn't match
    code, out = run("--json", "--config", str(config), str(message))
    assert code == 0, out
    line = json.loads(out)
    assert line["list_source"] == "autumn-letter"
    assert [(r["address"], r["reason"]) for r in line["recipients"]] == [
        ("c.lopez@olmo.example.es", "mailbox_disabled")
    ]
    result = CliRunner().invoke(main, ["ingest", "--config", str(config), str(message)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "bw.db") as conn:
        recorded = conn.execute(
            "SELECT address, reason, status, list_source, detector FROM events"
        ).fetchall()
    assert recorded == [
        (r["address"], r["reason"], r["status"], line["list_source"], line["detector"])
        for r in line["recipients"]
    ]


def test_json_names_the_message_date_sender_command_mta_and_subject() -> None:
    postfix = fixture("postfix-01")
    code, out = run("--json", str(postfix))
    assert code == 0
    line = json.loads(out)
    assert (line["date"], line["reporting_mta"]) == ("2026-11-23T02:56:01Z", "mail.example.net")
    assert line["original_from"] == "newsletter@example.net"
    assert line["original_subject"] == "Spring sale: 20% off everything this week"
    assert [r["smtp_command"] for r in line["recipients"]] == ["RCPT"]
    # recording needs no command the classification didn't ask for: analyze() skips the text
    from bouncewatch.analyze import analyze

    plain = analyze(postfix.read_bytes()).to_json()
    assert [r["smtp_command"] for r in plain["recipients"]] == [None]


def test_each_line_is_what_json_dumps_writes() -> None:
    options = replace(DEFAULT_PARSE_OPTIONS, said_commands=True)
    lines = [analyze(p.read_bytes(), options).to_json(str(p)) for p in all_emls()]
    lines.append(
        {
            "file": 'dossier/été\u2028\x00\x1f"\\.eml',
            "message": 3,
            "recipients": [{"smtp_code": 550, "expired": True, "diagnostic": None}],
            "odd": [1.5, float("inf"), float("nan"), -0.0, 10**30, (), {"": []}],
        }
    )
    for line in lines:
        assert _encode_line(line) == json.dumps(line, ensure_ascii=False)


def test_without_the_c_encoder_the_lines_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    encode = _line_encoder()
    line = analyze(DSN.read_bytes(), DEFAULT_PARSE_OPTIONS).to_json("été.eml")
    assert encode(line) == _encode_line(line) == json.dumps(line, ensure_ascii=False)


def _lines(stream: Any, count: int, timeout: float) -> list[bytes]:
    """The first `count` lines read from `stream` within `timeout` seconds (fewer: no more
    came meanwhile)."""
    got: list[bytes] = []
    reader = threading.Thread(
        target=lambda: got.extend(stream.readline() for _ in range(count)), daemon=True
    )
    reader.start()
    reader.join(timeout)
    return list(got)


def _rest(proc: subprocess.Popen[bytes]) -> bytes:
    """The rest of `proc`'s output, once it has ended (read from the stream the first lines
    came from: `communicate` would miss what that stream has read ahead)."""
    out = proc.stdout.read()  # type: ignore[union-attr]
    proc.wait(timeout=60)
    return out


def _parse_process(*paths: str) -> subprocess.Popen[bytes]:
    # (with its output buffered, as it is on a user's machine: not PYTHONUNBUFFERED's)
    env = {
        k: v for k, v in os.environ.items() if k not in ("BOUNCEWATCH_CONFIG", "PYTHONUNBUFFERED")
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bouncewatch", "parse", "--json", *paths],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )


#: the messages read before the input that waits (the first line may be flushed because
#: the start took longer than the flush interval; the three after it come at once)
BEFORE = (str(NOT), str(DSN), str(ARF), str(DSN))


def test_the_lines_so_far_are_written_before_waiting_for_stdin() -> None:
    proc = _parse_process(*BEFORE, "-")
    try:
        first = _lines(proc.stdout, len(BEFORE), timeout=30)
        assert [json.loads(x)["file"] for x in first] == list(BEFORE)
        proc.stdin.write(ARF.read_bytes())  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        out = _rest(proc)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    assert [json.loads(x)["kind"] for x in out.splitlines()] == ["complaint"]


def test_the_lines_so_far_are_written_before_waiting_for_a_named_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "bounce.fifo"
    os.mkfifo(fifo)
    proc = _parse_process(*BEFORE, str(fifo))
    try:
        first = _lines(proc.stdout, len(BEFORE), timeout=30)
        assert [json.loads(x)["file"] for x in first] == list(BEFORE)
        fifo.write_bytes(ARF.read_bytes())  # (opening it lets the reader's open return)
        out = _rest(proc)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    assert [(json.loads(x)["file"], json.loads(x)["kind"]) for x in out.splitlines()] == [
        (str(fifo), "complaint")
    ]


def test_lines_stream_while_the_files_are_read(tmp_path: Path) -> None:
    # a few short lines, each far from filling the output buffer, then slow messages
    slow = tmp_path / "slow.txt"
    slow.write_bytes(
        b"From: Mail Delivery System <MAILER-DAEMON@example.org>\n"
        b"Subject: Undelivered Mail Returned to Sender\n\n"
        + b"".join(
            b"<u%d@example.com>: host mx.example.com said: 550 no\n" % i for i in range(10**5)
        )
    )
    folder = tmp_path / "bounces"
    folder.mkdir()
    (folder / "a.eml").write_bytes(NOT.read_bytes())
    for i in range(8):
        (folder / f"b{i}.eml").symlink_to(slow)
    start = time.monotonic()
    proc = _parse_process(str(folder))
    try:
        first = _lines(proc.stdout, 1, timeout=60)
        came = time.monotonic()
        out = _rest(proc)
        end = time.monotonic()
    finally:
        proc.kill()
        proc.wait()
    assert [json.loads(x)["file"] for x in first] == [str(folder / "a.eml")]
    # (not a speed figure: the order of events; held back, the line would come with the
    # others at the end; streamed, it comes before most of the slow messages are read)
    assert end - came > (end - start) / 2, "the first line came with the last ones"
    assert proc.returncode == 0 and len(out.splitlines()) == 8  # (after the first)
