"""Log lines: one `event=name key=value` dialect for ours and the libraries', values quoted
where needed, errors in words, and one JSON object a line with --log-format json."""

from __future__ import annotations

import imaplib
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch import logging_setup
from bouncewatch.logging_setup import parse_pairs, readable_error, setup_logging


class Captured:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.seen: list[str] = []

    def lines(self) -> list[str]:
        self.seen += self.capsys.readouterr().err.splitlines()
        return self.seen


@pytest.fixture
def stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Captured]:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    monkeypatch.delenv("BOUNCEWATCH_LOG_FORMAT", raising=False)
    yield Captured(capsys)
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_bouncewatch", False):
            logging.getLogger().removeHandler(handler)


def lines(captured: Captured) -> list[str]:
    return captured.lines()


def test_values_with_spaces_quotes_or_equals_are_quoted(stderr: Captured) -> None:
    setup_logging("INFO")
    log = logging.getLogger("bouncewatch.daemon")
    log.error("config_error error=%s action=exit", "t9.toml: no [[mailbox]] configured")
    log.info("event=sent source=%s count=%d note=%s", 'a "b"', 1200, "x=y")
    first, second = lines(stderr)
    assert first.endswith(
        ' level=error logger=daemon event=config_error error="t9.toml: no [[mailbox]] '
        'configured" action=exit'
    )
    assert second.endswith('event=sent source="a \\"b\\"" count=1200 note="x=y"')
    assert parse_pairs(second) | {"ts": ""} == {
        "ts": "",
        "level": "info",
        "logger": "daemon",
        "event": "sent",
        "source": 'a "b"',
        "count": "1200",
        "note": "x=y",
    }


def test_a_value_quoted_by_the_call_site_is_not_quoted_twice(stderr: Captured) -> None:
    from bouncewatch.logging_setup import kv

    setup_logging("INFO")
    logging.getLogger("bouncewatch.service").warning("record_failed error=%s", kv("disk I/O"))
    logging.getLogger("bouncewatch.service").info("pass_done %s", "fetched=3 failed=0")
    assert lines(stderr)[0].endswith('event=record_failed error="disk I/O"')
    assert lines(stderr)[1].endswith("event=pass_done fetched=3 failed=0")


def test_every_line_names_its_event_whatever_the_call_site_wrote(stderr: Captured) -> None:
    setup_logging("INFO")
    logging.getLogger("bouncewatch.service").info("pass_done mailbox=%s", "bounces")
    logging.getLogger("bouncewatch.store").info("event=migrated versions=%s", "1,2")
    assert [parse_pairs(x)["event"] for x in lines(stderr)] == ["pass_done", "migrated"]
    assert all(x.startswith("ts=") and " level=info " in x for x in lines(stderr))


def test_library_lines_share_the_format_and_are_quiet_at_info(stderr: Captured) -> None:
    setup_logging("INFO")
    imap = logging.getLogger("imapclient.imapclient")
    imap.info("Connected to imap.example.com")
    logging.getLogger("apscheduler.executors.default").info('Job "poll" executed successfully')
    imap.warning("server sent %s", "garbage here")
    assert len(lines(stderr)) == 1
    assert lines(stderr)[0].endswith(
        'level=warning logger=imapclient.imapclient event=library text="server sent garbage here"'
    )
    setup_logging("DEBUG")
    imap.debug("> b'tag1 SELECT INBOX'")
    assert lines(stderr)[-1].endswith(
        "logger=imapclient.imapclient event=library text=\"> b'tag1 SELECT INBOX'\""
    )


def test_errors_read_as_words() -> None:
    assert (
        readable_error(ConnectionRefusedError(111))
        == "ConnectionRefusedError: Connection refused (ECONNREFUSED)"
    )
    try:
        Path("/nonexistent/x.toml").read_text()
    except OSError as e:
        assert readable_error(e) == (
            "FileNotFoundError: /nonexistent/x.toml: No such file or directory (ENOENT)"
        )
    err = imaplib.IMAP4.error(b"[AUTHENTICATIONFAILED] Authentication failed.")
    assert readable_error(err) == "error: [AUTHENTICATIONFAILED] Authentication failed."
    wrapped = RuntimeError("login refused: b'[UNAVAILABLE] Try later'")
    assert readable_error(wrapped) == "RuntimeError: login refused: [UNAVAILABLE] Try later"


def test_an_exception_argument_is_logged_in_words(stderr: Captured) -> None:
    setup_logging("INFO")
    logging.getLogger("bouncewatch.daemon").error(
        "connection_failed mailbox=%s error=%s", "bounces", ConnectionRefusedError(111)
    )
    (line,) = lines(stderr)
    assert line.endswith(
        'event=connection_failed mailbox=bounces error="ConnectionRefusedError: '
        'Connection refused (ECONNREFUSED)"'
    )


def test_json_lines_carry_the_same_pairs(stderr: Captured) -> None:
    setup_logging("INFO", fmt="json", secrets=["hunter2-secret"])
    log = logging.getLogger("bouncewatch.daemon")
    log.error("config_error error=%s", 'bad "value" with hunter2-secret')
    logging.getLogger("imapclient").warning("odd")
    first, second = (json.loads(x) for x in lines(stderr))
    assert first["event"] == "config_error" and first["level"] == "error"
    assert first["error"] == 'bad "value" with ***'
    assert (second["logger"], second["event"], second["text"]) == ("imapclient", "library", "odd")


def test_run_writes_json_lines_when_asked(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'database = "{tmp_path / "bw.db"}"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "bouncewatch", "run", "--once", "--log-format", "json"],
        env={"BOUNCEWATCH_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0  # no mailbox: nothing to watch
    records = [json.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    assert records and all(r["event"] and r["level"] for r in records)
    assert any(r["level"] == "error" for r in records)


_FRAGMENTS = st.sampled_from(
    ["LOGIN ", "login ", "AuThEnTiCaTe ", "PLAIN ", "Password=", "passwd=", "SECRET=", "token=",
     "access_TOKEN=", "auth=", "Bearer ", "bob ", '"q w" ', "x", "=", " ", "\t", "ſ", "K", "é"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=12))
def test_redaction_skips_only_text_the_patterns_cannot_match(parts: list[str]) -> None:
    """Text without any word the credential patterns need is passed over unsearched: the
    result is what searching it with every pattern gives."""
    text = "".join(parts)
    expected = text
    for pattern in logging_setup._PATTERNS:
        expected = pattern.sub(lambda m: m.group(1) + logging_setup.REDACTED, expected)
    assert logging_setup.RedactingFilter().redact(text) == expected
