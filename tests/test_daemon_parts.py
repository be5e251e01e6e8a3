"""The daemon's small parts, without a server: backoff, log redaction, sd_notify."""

from __future__ import annotations

import logging
import random
import socket
from pathlib import Path

import pytest

from bouncewatch.daemon import Backoff
from bouncewatch.logging_setup import LineFormatter, RedactingFilter, kv
from bouncewatch.sdnotify import Notifier, watchdog_interval


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    b = Backoff(base=1.0, cap=30.0, rng=random.Random(7))
    delays = [b.next_delay() for _ in range(10)]
    ceilings = [min(30.0, 2.0**i) for i in range(10)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays) <= 30.0 and delays[-1] >= 15.0
    assert len({round(d, 6) for d in delays}) == 10  # jittered, no two alike
    b.reset()
    assert b.next_delay() <= 1.0


def test_two_backoffs_do_not_retry_in_lockstep() -> None:
    a, b = Backoff(rng=random.Random(1)), Backoff(rng=random.Random(2))
    assert [a.next_delay() for _ in range(5)] != [b.next_delay() for _ in range(5)]


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("bouncewatch.test", logging.INFO, __file__, 1, msg, args, None)


def test_registered_secrets_and_credential_patterns_are_redacted() -> None:
    f = RedactingFilter()
    f.add_secret("s3cr3t-pass")
    rec = _record("login failed for %s with %s", "bounces@example.com", "s3cr3t-pass")
    f.filter(rec)
    assert "s3cr3t-pass" not in rec.getMessage() and "bounces@example.com" in rec.getMessage()
    for line in (
        'a LOGIN bounces@example.com "hunter22"',
        "AUTHENTICATE XOAUTH2 dXNlcj1ib3VuY2VzAWF1dGg9QmVhcmVy",
        "password=hunter22 token=abc.def",
        "Authorization: Bearer ya29.a0AfH6SMB",
    ):
        rec = _record(line)
        f.filter(rec)
        text = rec.getMessage()
        assert not any(s in text for s in ("hunter22", "dXNlcj1i", "abc.def", "ya29")), text


def test_a_traceback_is_redacted_and_folded_onto_one_line() -> None:
    f = RedactingFilter()
    f.add_secret("very-secret-pw")
    try:
        raise RuntimeError("server said no to very-secret-pw")
    except RuntimeError:
        import sys

        rec = logging.LogRecord(
            "bouncewatch.daemon", logging.ERROR, __file__, 1, "worker_error", (), sys.exc_info()
        )
    f.filter(rec)
    line = LineFormatter(journal=False).format(rec)
    assert "\n" not in line and "very-secret-pw" not in line and "RuntimeError" in line
    assert " level=error logger=daemon event=worker_error traceback=" in line


def test_journal_lines_carry_the_syslog_priority() -> None:
    rec = _record("connection_lost mailbox=bounces")
    rec.levelno, rec.levelname = logging.WARNING, "WARNING"
    line = LineFormatter(journal=True).format(rec)
    assert line == "<4>logger=test event=connection_lost mailbox=bounces"


def test_kv_quotes_what_needs_it() -> None:
    assert kv("plain") == "plain"
    assert kv("two words") == '"two words"'
    assert kv('say "hi"') == '"say \\"hi\\""'
    assert kv("") == '""'


def test_notifier_sends_datagrams(tmp_path: Path) -> None:
    path = tmp_path / "n.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    n = Notifier(str(path))
    assert n.ready("watching 1 mailbox(es)")
    assert sock.recv(1024) == b"READY=1\nSTATUS=watching 1 mailbox(es)"
    assert n.watchdog() and sock.recv(1024) == b"WATCHDOG=1"
    assert n.stopping() and sock.recv(1024) == b"STOPPING=1"
    n.close()
    sock.close()


def test_notifier_abstract_socket() -> None:
    name = f"bw-test-{random.randrange(10**9)}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    assert Notifier("@" + name).status("hello")
    assert sock.recv(1024) == b"STATUS=hello"
    sock.close()


def test_notifier_without_systemd_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.enabled and n.ready() is False


def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 5.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    monkeypatch.delenv("WATCHDOG_PID")
    assert watchdog_interval() is None
