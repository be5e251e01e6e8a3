"""`bouncewatch parse`: JSON lines in input order, the table, errors per input, exit status."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fixture_files import fixture

from bouncewatch.cli import main

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
        "reason", "rule", "diagnostic", "remote_mta", "expired",
    }  # fmt: skip
    assert rcpt["expired"] is False
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
    assert lines[1]["kind"] == "not_bounce" and "FileNotFoundError" in lines[1]["error"]
    assert "error" not in lines[0] and "error" not in lines[2]


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
