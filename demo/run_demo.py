"""The demo: the daemon for real, against a private IMAP server holding the demo bounces.

    python demo/run_demo.py [--maildir]

IMAP (the default, needs /usr/sbin/dovecot): start a private Dovecot on free loopback ports,
APPEND the messages of demo/mail/ to a fresh mailbox, write demo-state/config.toml, run
`bouncewatch run --once` (one full pass: fetch, parse, classify, record, move), then show the
mailbox folders, the address states, one address's story and the suppression list, record
the campaigns' sent counts and show the report (rates, findings; also as report.html), and
stop the server.  --maildir (when no IMAP server can be installed): the same messages as a Maildir,
recorded with `bouncewatch ingest`.  Everything is left in demo-state/ to look at.
"""

from __future__ import annotations

import argparse
import email
import email.utils
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIL = ROOT / "demo" / "mail"
STATE = Path(os.environ.get("BOUNCEWATCH_DEMO_STATE", ROOT / "demo-state")).resolve()
sys.path.insert(0, str(ROOT / "tests"))


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def bouncewatch(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "bouncewatch", *args]
    print("$ bouncewatch " + " ".join(args), flush=True)
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env)
    if check and proc.returncode != 0:
        sys.exit(f"bouncewatch {args[0]} failed with exit status {proc.returncode}")
    return proc


def messages() -> list[bytes]:
    return [p.read_bytes() for p in sorted(MAIL.glob("*.eml"))]


def delivered_at(data: bytes) -> datetime:
    """When the demo message was delivered: its Date header (the mailbox's INTERNALDATE or the
    Maildir file's time, which bouncewatch's policy goes by)."""
    msg = email.message_from_bytes(data)
    return email.utils.parsedate_to_datetime(msg["Date"])


TRUST = """
[trust]
complaint_senders = ["arf.mail.yahoo-example.com"]   # the demo's feedback loop
"""


def show_states(db: Path) -> None:
    say("Address states (SQLite: addresses)")
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT address, state, coalesce(last_reason, '-'), coalesce(last_status, '-'), "
        "hard_count, soft_count, block_count FROM addresses ORDER BY state, address"
    ).fetchall()
    print(f"{'address':36} {'state':14} {'reason':18} {'status':7} hard soft block")
    for a, s, r, st, h, so, b in rows:
        print(f"{a:36} {s:14} {r:18} {st:7} {h:4} {so:4} {b:5}")
    say("Messages by outcome (SQLite: messages)")
    for outcome, kind, n in conn.execute(
        "SELECT outcome, kind, count(*) FROM messages GROUP BY 1, 2 ORDER BY 1, 2"
    ):
        print(f"{outcome:13} {kind or '-':12} {n}")
    conn.close()


def run_imap(config: Path, db: Path) -> None:
    from dovecot import Dovecot
    from imapclient import IMAPClient

    server_dir = STATE / "dovecot"
    server = Dovecot(server_dir)
    try:
        say("Starting a private Dovecot IMAP server")
        server.start()
        user = server.add_user("bounces", "demo-password")
        print(f"listening on 127.0.0.1:{server.port} (IMAP+STARTTLS), :{server.ssl_port} (TLS)")
        (STATE / "imap-password").write_text(user.password + "\n")
        (STATE / "imap-password").chmod(0o600)

        msgs = messages()
        say(f"APPEND {len(msgs)} demo messages to the INBOX of bounces@")
        client = IMAPClient("127.0.0.1", port=server.port, ssl=False)
        client.login(user.name, user.password)
        for data in msgs:  # delivered when they are dated: the INTERNALDATE
            client.append("INBOX", data, msg_time=delivered_at(data))
        client.logout()

        config.write_text(
            f"""\
# written by `make demo`
database = "{db}"

[[mailbox]]
name = "demo"
host = "localhost"
port = {server.port}
security = "starttls"
ca_file = "{server.cafile}"
username = "{user.name}"
password_file = "{STATE / "imap-password"}"
folder = "INBOX"
processed_folder = "Processed"
quarantine_folder = "Unrecognized"
after = "move"

[schedule]
poll_interval = "60s"
idle = true
"""
            + TRUST
        )
        say("One pass of the daemon: bouncewatch run --once")
        started = time.monotonic()
        bouncewatch("run", "--once", "--config", str(config))
        print(f"(took {time.monotonic() - started:.1f} s)")

        say("The mailbox afterwards")
        client = IMAPClient("127.0.0.1", port=server.port, ssl=False)
        client.login(user.name, user.password)
        for folder in ("INBOX", "Processed", "Unrecognized", "Untrusted"):
            n = client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]
            print(f"{folder:13} {n} message(s)")
        client.logout()
    finally:
        server.stop()
        shutil.rmtree(server_dir, ignore_errors=True)


def run_maildir(config: Path, db: Path) -> None:
    maildir = STATE / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(messages()):
        path = maildir / "new" / f"1763630000.demo{i:02d}.localhost"
        path.write_bytes(data)
        when = delivered_at(data).timestamp()
        os.utime(path, (when, when))  # a Maildir file's time is when it was delivered
    config.write_text(f'# written by `make demo` (Maildir fallback)\ndatabase = "{db}"\n{TRUST}')
    say(f"No IMAP server available: recording the demo Maildir ({maildir}) with ingest")
    bouncewatch("ingest", str(maildir), "--config", str(config))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--maildir", action="store_true", help="use the Maildir fallback")
    args = ap.parse_args()
    if STATE.exists():
        shutil.rmtree(STATE)
    STATE.mkdir()
    STATE.chmod(0o755)  # the IMAP server's mail processes run as another user
    db = STATE / "bouncewatch.db"
    config = STATE / "config.toml"
    if args.maildir:
        run_maildir(config, db)
    else:
        run_imap(config, db)
    show_states(db)
    say("Why was dana.k@example.net suspended? (bouncewatch status)")
    bouncewatch("status", "dana.k@example.net", "--config", str(config), check=False)
    say("The suppression list for the sending tool (bouncewatch export)")
    bouncewatch("export", "--config", str(config))
    say("How many messages the campaigns sent, so reports give rates (bouncewatch sent)")
    for source, day, count in SENT:
        bouncewatch("sent", "--source", source, "--count", str(count), "--date", day, *cfg(config))
    say("Rates and findings (bouncewatch report)")
    bouncewatch("report", *cfg(config))
    page = STATE / "report.html"
    bouncewatch("report", "--html", str(page), *cfg(config))
    say(f"Done. The database, config and report.html are in {shown(STATE)}/")
    print(f"Open {shown(page)} in a browser, or try:")
    print(f"  .venv/bin/bouncewatch report --by domain --config {shown(config)}")
    print(f"  .venv/bin/bouncewatch status alice.nguyen@example.org --config {shown(config)}")


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


#: the demo campaigns: (list source, day, messages sent) — the bounces in demo/mail/ came back
#: from these sends
SENT = (
    ("weekly-digest", "2026-11-14", 120),
    ("weekly-digest", "2026-11-17", 120),
    ("spring-sale", "2026-11-20", 400),
)


def cfg(config: Path) -> tuple[str, str]:
    return ("--config", str(config))


if __name__ == "__main__":
    main()
