"""A private Dovecot IMAP server for tests, the demo and the IMAP benchmark.

Each instance lives in its own temporary directory (config, self-signed certificate, users
file, Maildirs, log) and listens on free loopback ports: plain IMAP (STARTTLS offered) and
implicit TLS.  It runs in the foreground in its own process group, so stopping it kills every
session at once.

Users are added while the server runs (one passwd-file per user).  The
server also listens on two more loopback addresses whose capability list differs, as real
servers' do: on HOST_NO_MOVE (127.0.0.2) it announces no MOVE (RFC 6851), on HOST_NO_IDLE
(127.0.0.3) no IDLE, on HOST_NO_UIDPLUS (127.0.0.4) neither MOVE nor UIDPLUS (RFC 4315: the
only EXPUNGE there is removes every \\Deleted message).  Same users, same mailboxes.

Run as a script (``python tests/dovecot.py DIR``) it starts a server, prints one JSON line with
the ports and the CA file, and runs until SIGTERM / SIGINT.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm", path="/usr/bin:/usr/sbin:/bin:/sbin") or "/usr/bin/doveadm"

HOST = "127.0.0.1"
HOST_NO_MOVE = "127.0.0.2"
HOST_NO_IDLE = "127.0.0.3"
HOST_NO_UIDPLUS = "127.0.0.4"

#: What Dovecot 2.3 announces after login, minus MOVE (for the copy+expunge fallback).
CAPABILITY_WITHOUT_MOVE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
    "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"
)
#: The same without IDLE either (a server where only polling works).
CAPABILITY_WITHOUT_IDLE = CAPABILITY_WITHOUT_MOVE.replace(" IDLE", "") + " MOVE"
#: Without MOVE and without UIDPLUS (UID EXPUNGE): a server of the last century.
CAPABILITY_WITHOUT_UIDPLUS = CAPABILITY_WITHOUT_MOVE.replace(" UIDPLUS", "")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class User:
    name: str
    password: str


class Dovecot:
    """One private Dovecot server.  ``start()`` / ``stop()`` / ``kill()`` / ``restart()``."""

    def __init__(self, root: str | Path | None = None) -> None:
        if root is None:
            root = tempfile.mkdtemp(prefix="bw-dovecot-")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.ssl_port = free_port()
        self.conf = self.root / "dovecot.conf"
        self.users_dir = self.root / "users"
        self.cafile = self.root / "cert.pem"
        self.log_path = self.root / "dovecot.log"
        self.mail_root = self.root / "mail"
        self.proc: subprocess.Popen[bytes] | None = None
        self._prepare()

    # --- set-up ----------------------------------------------------------------------------

    def _prepare(self) -> None:
        for sub in ("run", "state"):
            (self.root / sub).mkdir(exist_ok=True)
        self.mail_root.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            internal_user = internal_group = "root"
            login_user = "dovenull"
            mail_user, mail_group = "nobody", "nogroup"
            nobody = pwd.getpwnam("nobody")
            os.chown(self.mail_root, nobody.pw_uid, nobody.pw_gid)
        else:
            me = pwd.getpwuid(os.getuid())
            internal_user = login_user = mail_user = me.pw_name
            internal_group = mail_group = _group_name(os.getgid())
        if not self.cafile.exists():
            subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:127.0.0.4",
                    "-keyout", str(self.root / "key.pem"), "-out", str(self.cafile),
                ],
                check=True,
                capture_output=True,
            )  # fmt: skip
        self.users_dir.mkdir(exist_ok=True)
        # XOAUTH2 / OAUTHBEARER: access tokens are JWTs signed with a per-server HS256 key and
        # validated locally by Dovecot (no identity provider needed)
        keydir = self.root / "keys" / "default" / "HS256"
        keydir.mkdir(parents=True, exist_ok=True)
        if not (keydir / "default").exists():
            (keydir / "default").write_text(base64.b64encode(os.urandom(32)).decode())
        for path in (self.root / "keys", keydir.parent, keydir):
            os.chmod(path, 0o755)
        os.chmod(keydir / "default", 0o644)
        self._jwt_key = base64.b64decode((keydir / "default").read_text())
        (self.root / "oauth2.conf.ext").write_text(
            f"introspection_mode = local\n"
            f"local_validation_key_dict = fs:posix:prefix={self.root}/keys/\n"
            f"username_attribute = email\n"
        )
        self.conf.write_text(
            f"""\
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = bw-{self.port}
protocols = imap
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4
log_path = {self.log_path}
ssl = yes
ssl_cert = <{self.cafile}
ssl_key = <{self.root}/key.pem
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_location = maildir:~/Maildir
mail_fsync = never
auth_mechanisms = plain login xoauth2 oauthbearer
disable_plaintext_auth = no
imap_idle_notify_interval = 2 mins
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {self.root}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.users_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = {self.users_dir}/%u
  default_fields = uid={mail_user} gid={mail_group} home={self.mail_root}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = {self.ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
local 127.0.0.2 {{
  protocol imap {{
    imap_capability = {CAPABILITY_WITHOUT_MOVE}
  }}
}}
local 127.0.0.3 {{
  protocol imap {{
    imap_capability = {CAPABILITY_WITHOUT_IDLE}
  }}
}}
local 127.0.0.4 {{
  protocol imap {{
    imap_capability = {CAPABILITY_WITHOUT_UIDPLUS}
  }}
}}
"""
        )

    def add_user(self, name: str, password: str = "secret") -> User:
        """Add (or replace) a user; works while the server runs."""
        # one passwd-file per user: Dovecot re-reads a changed file at most once a second,
        # a new file it reads at once
        path = self.users_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return User(name, password)

    def oauth2_token(self, user: str, lifetime: int = 3600) -> str:
        """An OAuth2 access token (a JWT) this server accepts for `user`; a negative
        `lifetime` gives one that has already expired."""
        now = int(time.time())
        claims = {"email": user, "sub": user, "iat": now - 60, "nbf": now - 60,
                  "exp": now + lifetime}  # fmt: skip
        head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64url(json.dumps(claims).encode())
        sig = hmac.new(self._jwt_key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64url(sig)}"

    # --- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Dovecot:
        if self.proc is not None and self.proc.poll() is None:
            return self
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.proc.returncode}: {self.log_tail()}")
            if self._greets():
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log_tail()}")

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                return s.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self, grace: float = 2.0) -> None:
        """SIGTERM to the whole process group, SIGKILL after `grace` seconds."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(5)
        self._signal_group(signal.SIGKILL)  # stragglers of the group
        self._wait_port_free()
        self.proc = None

    def kill(self) -> None:
        """Kill the server abruptly (every session with it), like a crash."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGKILL)
        self.proc.wait(5)
        self._wait_port_free()
        self.proc = None

    def restart(self) -> Dovecot:
        self.stop()
        return self.start()

    def _wait_port_free(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._greets():
            time.sleep(0.05)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------

    def doveadm(self, *args: str) -> str:
        out = subprocess.run(
            [DOVEADM, "-c", str(self.conf), *args], check=True, capture_output=True, text=True
        )
        return out.stdout

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _group_name(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def main(argv: list[str]) -> int:
    root = argv[1] if len(argv) > 1 else None
    server = Dovecot(root).start()
    users = argv[2:] or []
    for spec in users:  # name:password
        name, _, password = spec.partition(":")
        server.add_user(name, password or "secret")
    print(
        json.dumps(
            {
                "pid": os.getpid(),
                "root": str(server.root),
                "port": server.port,
                "ssl_port": server.ssl_port,
                "cafile": str(server.cafile),
            }
        ),
        flush=True,
    )
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stop:
        time.sleep(0.2)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
