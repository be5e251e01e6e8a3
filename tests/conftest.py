"""Shared fixtures.  The Dovecot server starts only when a test asks for it (once per session);
each test gets its own IMAP user, so tests never see each other's mail."""

from __future__ import annotations

import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings
from imapclient import IMAPClient

sys.path.insert(0, str(Path(__file__).parent))

import contextlib

from dovecot import HOST, Dovecot

from bouncewatch.config import MailboxConfig

REPO = Path(__file__).resolve().parent.parent

# CI runs the property tests with a fixed seed so that a run is repeatable; on a developer's
# machine every run explores new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
DEMO_MAIL = REPO / "demo" / "mail"


def demo_messages() -> list[bytes]:
    """The demo mailbox: realistic bounces of every kind plus one message that is none."""
    return [p.read_bytes() for p in sorted(DEMO_MAIL.glob("*.eml"))]


@dataclass
class ImapAccount:
    """One IMAP user on the session's Dovecot, with helpers to look at its mail."""

    server: Dovecot
    user: str
    password: str
    workdir: Path
    _clients: list[IMAPClient] = field(default_factory=list)

    def client(self, host: str = HOST) -> IMAPClient:
        c = IMAPClient(host, port=self.server.port, ssl=False, timeout=10)
        c.login(self.user, self.password)
        self._clients.append(c)
        return c

    def append(self, messages: list[bytes], folder: str = "INBOX") -> None:
        c = self.client()
        if not c.folder_exists(folder):
            c.create_folder(folder)
        if c.has_capability("MULTIAPPEND") and len(messages) > 1:
            c.multiappend(folder, messages)
        else:
            for m in messages:
                c.append(folder, m)
        c.logout()
        self._clients.remove(c)

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        c = self.client()
        try:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            return sorted(c.search(criteria))
        finally:
            c.logout()
            self._clients.remove(c)

    def count(self, folder: str = "INBOX") -> int:
        return len(self.uids(folder))

    def bodies(self, folder: str) -> list[bytes]:
        c = self.client()
        try:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            return [d[b"BODY[]"] for _, d in sorted(c.fetch(uids, ["BODY.PEEK[]"]).items())]
        finally:
            c.logout()
            self._clients.remove(c)

    def password_file(self) -> Path:
        p = self.workdir / "imap-password"
        p.write_text(self.password + "\n")
        p.chmod(0o600)
        return p

    def mailbox(self, **overrides: object) -> MailboxConfig:
        """A MailboxConfig for this account (plain IMAP on loopback unless overridden)."""
        values: dict[str, object] = {
            "name": "bounces",
            "host": HOST,
            "port": self.server.port,
            "security": "plain",
            "username": self.user,
            "password_file": self.password_file(),
        }
        values.update(overrides)
        return MailboxConfig(**values)  # type: ignore[arg-type]

    def config_toml(self, database: Path, *, mailbox: dict[str, object] | None = None,
                    schedule: dict[str, object] | None = None) -> Path:  # fmt: skip
        """Write a bouncewatch config file for this account and return its path."""
        mb: dict[str, object] = {
            "name": "bounces",
            "host": HOST,
            "port": self.server.port,
            "security": "plain",
            "username": self.user,
            "password_file": str(self.password_file()),
        }
        mb.update(mailbox or {})
        sched: dict[str, object] = {"poll_interval": "1s", "idle": True}
        sched.update(schedule or {})
        lines = [f"database = {_toml(str(database))}", "", "[[mailbox]]"]
        lines += [f"{k} = {_toml(v)}" for k, v in mb.items()]
        lines += ["", "[schedule]"] + [f"{k} = {_toml(v)}" for k, v in sched.items()]
        path = self.workdir / "config.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def close(self) -> None:
        for c in self._clients:
            with contextlib.suppress(Exception):
                c.logout()
        self._clients.clear()


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture
def imap_account(dovecot_server: Dovecot, tmp_path: Path) -> Iterator[ImapAccount]:
    if dovecot_server.proc is None or dovecot_server.proc.poll() is not None:
        dovecot_server.start()  # a previous test stopped or killed it
    name = "u" + uuid.uuid4().hex[:10]
    user = dovecot_server.add_user(name, "pw-" + uuid.uuid4().hex[:12])
    account = ImapAccount(dovecot_server, user.name, user.password, tmp_path)
    yield account
    account.close()


@pytest.fixture
def ca_context(dovecot_server: Dovecot) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(dovecot_server.cafile))


# --- helpers for the daemon tests ----------------------------------------------------------


def synthetic_bounces(n: int, tag: str = "t") -> list[bytes]:
    """`n` distinct hard bounces (one recipient each), made from the demo's Gmail DSN."""
    template = (DEMO_MAIL / "01-gmail-user-unknown.eml").read_bytes()
    out = []
    for i in range(n):
        addr = f"{tag}{i:05d}@example.org".encode()
        msg = template.replace(b"alice.nguyen@example.org", addr)
        msg = msg.replace(b"alice.nguyen=example.org", addr.replace(b"@", b"="))
        out.append(msg)
    return out


def db_count(db: Path, sql: str, *args: object) -> int:
    """One number from the database, read while the daemon may be writing (WAL)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        conn.close()


def wait_for(predicate: Callable[[], object], timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


class DaemonProcess:
    """`python -m bouncewatch run …` as a child process, its stderr kept in a file."""

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log_path = config.parent / f"daemon-{uuid.uuid4().hex[:6]}.log"
        full_env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET",)}
        full_env.update(env or {})
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bouncewatch", "run", "--config", str(config), *args],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(config.parent),
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Collects started daemons and stops any still running at the end of the test."""
    started: list[DaemonProcess] = []
    yield started
    for d in started:
        d.stop()


def run_once(config: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET",)}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bouncewatch", "run", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
