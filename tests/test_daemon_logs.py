"""What `bouncewatch run --once` tells its operator against a real Dovecot: a debug line per
message, and — interrupted by SIGTERM or Ctrl-C — how many messages were committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ImapAccount, db_count, synthetic_bounces

from bouncewatch.logging_setup import parse_pairs

pytestmark = pytest.mark.imap


def _start(config: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    return subprocess.Popen(
        [sys.executable, "-m", "bouncewatch", "run", "--once", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_debug_level_logs_each_message(imap_account: ImapAccount, tmp_path: Path) -> None:
    imap_account.append(synthetic_bounces(3, tag="dbg"))
    config = imap_account.config_toml(tmp_path / "bw.db")
    config.write_text(config.read_text() + '\n[log]\nlevel = "debug"\n')
    proc = _start(config)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    lines = [parse_pairs(x) for x in err.splitlines()]
    read = [x for x in lines if x.get("event") == "message_read"]
    assert [x["uid"] for x in read] == ["1", "2", "3"]
    assert {(x["kind"], x["detector"], x["outcome"]) for x in read} == {
        ("dsn", "rfc3464", "parsed")
    }
    assert all(x["mailbox"] == "bounces" and x["duplicate"] == "false" for x in read)
    assert all(x.get("event") for x in lines)  # every line, the libraries' too, has its event
    assert any(x.get("event") == "library" for x in lines)  # imapclient speaks at debug
    assert imap_account.password not in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_pass_says_what_it_committed(
    imap_account: ImapAccount, tmp_path: Path, signum: int
) -> None:
    total = 1500
    imap_account.append(synthetic_bounces(total, tag=f"int{signum}"))
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db, schedule={"batch_size": 50})
    proc = _start(config)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db.exists() and db_count(db, "SELECT count(*) FROM messages") >= 100:
            break
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    recorded = db_count(db, "SELECT count(*) FROM messages")
    # the signal lands after 2 of 30 batches: the pass is still running
    assert "event=interrupted" in err, err[-3000:]
    assert proc.returncode == 0, err  # a clean stop, as the daemon's
    assert "Traceback" not in err and "Aborted" not in err
    (line,) = [parse_pairs(x) for x in err.splitlines() if "event=interrupted" in x]
    assert line["signal"] == signal.Signals(signum).name
    assert int(line["committed"]) == recorded and 0 < recorded < total
    # what was committed was acknowledged (moved); the rest waits in the INBOX
    assert imap_account.count("Processed") == recorded
    assert imap_account.count("INBOX") == total - recorded
