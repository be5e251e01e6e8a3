"""The long-running daemon as systemd runs it (a child process): IDLE, polling, sd_notify,
signals, reload, a server that dies mid-batch, and a daemon killed between commit and move."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    DaemonProcess,
    ImapAccount,
    db_count,
    demo_messages,
    run_once,
    synthetic_bounces,
    wait_for,
)
from dovecot import HOST_NO_IDLE

pytestmark = pytest.mark.imap

MESSAGES = "SELECT count(*) FROM messages"
EVENTS = "SELECT count(*) FROM events"


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(0.2)
    yield sock
    sock.close()


def read_notifications(sock: socket.socket, until: str, timeout: float) -> list[str]:
    """Collect sd_notify lines until one starts with `until` (or time runs out)."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(4096).decode()
        except TimeoutError:
            continue
        lines.extend(data.splitlines())
        if any(line.startswith(until) for line in lines):
            break
    return lines


def idle_only_daemon(
    imap_account: ImapAccount, db: Path, daemons: list[DaemonProcess]
) -> DaemonProcess:
    """A daemon whose poll interval (10 min) outlasts the test, after its first pass."""
    d = DaemonProcess(imap_account.config_toml(db, schedule={"poll_interval": "10m"}))
    daemons.append(d)
    assert wait_for(lambda: "pass_done" in d.log, 15), d.log
    return d


def test_idle_processes_a_new_bounce_within_seconds(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    db = tmp_path / "bw.db"
    # a poll interval far beyond the test: only IDLE can bring the message in
    d = idle_only_daemon(imap_account, db, daemons)
    imap_account.append(synthetic_bounces(1, "idle"))
    arrived = time.monotonic()
    assert wait_for(lambda: imap_account.count("Processed") == 1, 10), d.log
    assert time.monotonic() - arrived < 5
    assert db_count(db, MESSAGES) == 1 and imap_account.count("INBOX") == 0
    assert d.stop() == 0


def test_polling_where_the_server_offers_no_idle(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(
        db, mailbox={"host": HOST_NO_IDLE}, schedule={"poll_interval": "1s"}
    )
    d = DaemonProcess(config)
    daemons.append(d)
    assert wait_for(lambda: "idle=false" in d.log, 15), d.log
    imap_account.append(synthetic_bounces(2, "poll"))
    assert wait_for(lambda: imap_account.count("Processed") == 2, 10), d.log
    assert db_count(db, MESSAGES) == 2
    assert d.stop() == 0


def test_sd_notify_ready_status_watchdog_stopping(
    imap_account: ImapAccount,
    tmp_path: Path,
    daemons: list[DaemonProcess],
    notify_socket: socket.socket,
) -> None:
    imap_account.append(synthetic_bounces(3, "notify"))
    config = imap_account.config_toml(tmp_path / "bw.db")
    d = DaemonProcess(
        config,
        env={"NOTIFY_SOCKET": notify_socket.getsockname(), "WATCHDOG_USEC": "1000000"},
    )
    daemons.append(d)
    lines = read_notifications(notify_socket, "WATCHDOG=1", 15)
    assert "READY=1" in lines, lines
    assert "WATCHDOG=1" in lines
    lines += read_notifications(notify_socket, "STATUS=bounces: last poll", 10)
    status = [line for line in lines if line.startswith("STATUS=bounces: last poll")]
    assert status and "parsed=3" in " ".join(status), lines
    # WATCHDOG=1 keeps coming, twice per WATCHDOG_USEC
    pings = read_notifications(notify_socket, "WATCHDOG=1", 3)
    assert "WATCHDOG=1" in pings
    d.signal(signal.SIGTERM)
    lines = read_notifications(notify_socket, "STOPPING=1", 10)
    assert "STOPPING=1" in lines
    assert d.wait(15) == 0


def test_sigterm_mid_pass_commits_and_acknowledges_what_was_done(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    total = 400
    imap_account.append(synthetic_bounces(total, "term"))
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db, schedule={"batch_size": 25})
    d = DaemonProcess(config)
    daemons.append(d)
    assert wait_for(lambda: db_count(db, MESSAGES) > 0, 20), d.log
    d.signal(signal.SIGTERM)
    assert d.wait(20) == 0, d.log
    recorded = db_count(db, MESSAGES)
    assert "stopped exit_code=0" in d.log
    # everything recorded was acknowledged, everything else is still waiting in the INBOX
    assert imap_account.count("Processed") == recorded
    assert imap_account.count("INBOX") == total - recorded


def test_sighup_reloads_the_configuration(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db)
    d = DaemonProcess(config)
    daemons.append(d)
    assert wait_for(lambda: "pass_done" in d.log, 15), d.log
    good = config.read_text()

    config.write_text(good + "\n[bogus]\n")  # broken: the daemon keeps the old configuration
    d.signal(signal.SIGHUP)
    assert wait_for(lambda: "reload_failed" in d.log, 10), d.log
    assert d.running()

    config.write_text(
        good.replace('name = "bounces"', 'name = "bounces"\nprocessed_folder = "Done"')
    )
    d.signal(signal.SIGHUP)
    assert wait_for(lambda: "reloaded mailboxes=1" in d.log, 15), d.log
    imap_account.append(synthetic_bounces(1, "hup"))
    assert wait_for(lambda: imap_account.count("Done") == 1, 10), d.log
    assert imap_account.count("Processed") == 0
    assert d.stop() == 0


def test_server_killed_mid_batch_and_restarted(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    total = 600
    imap_account.append(synthetic_bounces(total, "crash"))
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db, schedule={"batch_size": 20, "poll_interval": "2s"})
    d = DaemonProcess(config)
    daemons.append(d)
    server = imap_account.server
    assert wait_for(lambda: db_count(db, MESSAGES) >= 20, 20), d.log
    server.kill()  # every process of the server, mid-batch
    done_at_kill = db_count(db, MESSAGES)
    assert done_at_kill < total
    assert wait_for(lambda: "connection_lost" in d.log, 10), d.log
    time.sleep(1.0)
    server.start()
    # a killed server may leave a lock its restarted self waits out: the daemon's command
    # deadline (120 s) and a reconnect bound the wait
    assert wait_for(lambda: db_count(db, MESSAGES) == total, 240), d.log[-3000:]
    assert wait_for(lambda: imap_account.count("INBOX") == 0, 20), d.log[-3000:]
    assert d.running()
    # exactly once: one message row and one event per bounce, every address once
    assert db_count(db, MESSAGES) == total
    assert db_count(db, EVENTS) == total
    assert db_count(db, "SELECT count(DISTINCT address) FROM events") == total
    # a MOVE cut short may leave a copy behind in Processed; never a lost message
    assert len(set(imap_account.bodies("Processed"))) == total
    assert d.stop() == 0


def test_killed_between_commit_and_move_doubles_nothing(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    msgs = synthetic_bounces(5, "kill") + demo_messages()[-1:]  # 5 bounces + 1 not-a-bounce
    imap_account.append(msgs)
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db, schedule={"batch_size": 3})
    d = DaemonProcess(config, env={"BOUNCEWATCH_FAILPOINT": "after-commit:3"})
    daemons.append(d)
    assert d.wait(20) == -signal.SIGKILL, d.log
    assert db_count(db, MESSAGES) == 3  # committed ...
    assert imap_account.count("INBOX") == 6  # ... but not moved
    events = db_count(db, EVENTS)
    proc = run_once(config)
    assert proc.returncode == 0, proc.stderr
    assert "duplicates=3" in proc.stderr
    assert db_count(db, MESSAGES) == 6
    assert db_count(db, EVENTS) == events + 2  # only the two bounces not yet recorded
    assert imap_account.count("INBOX") == 0
    assert imap_account.count("Processed") == 5 and imap_account.count("Unrecognized") == 1


def test_wrong_password_exits_77_and_is_not_retried(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    config = imap_account.config_toml(tmp_path / "bw.db")
    (tmp_path / "imap-password").write_text("wrong-" + imap_account.password)
    d = DaemonProcess(config)
    daemons.append(d)
    assert d.wait(20) == 77
    assert "authentication_failed" in d.log
    assert imap_account.password not in d.log
    assert os.path.exists(tmp_path / "bw.db")


def test_server_restarted_while_the_daemon_idles(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    db = tmp_path / "bw.db"
    # no poll for the length of the test: the IDLE loop itself must notice the dead connection
    d = idle_only_daemon(imap_account, db, daemons)
    time.sleep(0.5)  # in IDLE now
    imap_account.server.restart()
    assert wait_for(lambda: "connection_lost" in d.log, 10), d.log
    imap_account.append(synthetic_bounces(2, "restart"))
    assert wait_for(lambda: imap_account.count("Processed") == 2, 20), d.log
    assert db_count(db, MESSAGES) == 2
    assert d.running()
    assert d.stop() == 0


def test_several_mailboxes_in_one_configuration(
    imap_account: ImapAccount, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    server = imap_account.server
    second = server.add_user("second" + imap_account.user, "pw-second-mailbox")
    (tmp_path / "second-password").write_text(second.password)
    db = tmp_path / "bw.db"
    config = imap_account.config_toml(db)
    config.write_text(
        config.read_text().replace(
            "\n[schedule]",
            f'\n[[mailbox]]\nname = "transactional"\nhost = "127.0.0.1"\n'
            f'port = {server.port}\nsecurity = "plain"\nusername = "{second.name}"\n'
            f'password_file = "{tmp_path / "second-password"}"\nafter = "flag"\n\n[schedule]',
        )
    )
    d = DaemonProcess(config)
    daemons.append(d)
    assert wait_for(lambda: d.log.count("connected mailbox=") == 2, 15), d.log
    imap_account.append(synthetic_bounces(2, "first"))
    other = ImapAccount(server, second.name, second.password, tmp_path)
    other.append(synthetic_bounces(3, "second"))
    assert wait_for(lambda: db_count(db, MESSAGES) == 5, 15), d.log
    assert imap_account.count("Processed") == 2
    assert wait_for(lambda: len(other.uids("INBOX", "SEEN")) == 3, 10)  # flagged, kept
    sources = db_count(db, "SELECT count(DISTINCT source) FROM messages")
    assert sources == 2
    assert db_count(db, "SELECT count(*) FROM meta WHERE key LIKE 'imap:%:last_uid'") == 2
    assert d.stop() == 0
    other.close()
