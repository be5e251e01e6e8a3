"""A process killed mid-ingest (SIGKILL) leaves a consistent file; a re-run completes it with
nothing lost and nothing doubled, and ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from store_helpers import write_maildir

COUNT = 1500
STATE_QUERY = (
    "SELECT address, state, state_since, suspended_until, hard_count, soft_count, "
    "block_count, suspensions, soft_days FROM addresses ORDER BY address"
)


def ingest(db: Path, source: Path, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "bouncewatch", "ingest", "--db", str(db), *extra, str(source)]
    env = {**os.environ, "BOUNCEWATCH_CONFIG": ""}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def committed(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return rows(db, "SELECT count(*) FROM messages")[0][0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_kill_mid_ingest_then_rerun(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    write_maildir(maildir, COUNT)

    reference = tmp_path / "reference.db"
    done = ingest(reference, maildir)
    assert done.wait(timeout=240) == 0, done.stderr.read() if done.stderr else ""

    db = tmp_path / "killed.db"
    kills = []
    for batch in ("25", "1"):  # grouped commits, then one commit per message
        proc = ingest(db, maildir, "--batch", batch)
        before = committed(db)
        deadline = time.monotonic() + 120
        while committed(db) < before + 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        kills.append(committed(db))

        # the file is consistent: every committed message has all its events
        assert rows(db, "PRAGMA integrity_check") == [("ok",)]
        assert rows(db, "PRAGMA foreign_key_check") == []
        orphans = rows(
            db,
            "SELECT count(*) FROM messages m WHERE m.outcome = 'parsed' "
            "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.message_id = m.id)",
        )
        assert orphans == [(0,)]
        assert rows(db, "SELECT count(*) FROM events")[0][0] == kills[-1]
    assert 0 < kills[0] < kills[1] < COUNT

    rerun = ingest(db, maildir)
    out, err = rerun.communicate(timeout=240)
    assert rerun.returncode == 0, err.decode()
    assert f"{COUNT} read, {COUNT - kills[1]} new, {kills[1]} already recorded" in out.decode()

    assert rows(db, "SELECT count(*), count(DISTINCT sha256) FROM messages") == [(COUNT, COUNT)]
    assert rows(db, "SELECT count(*) FROM events") == [(COUNT,)]
    assert rows(db, STATE_QUERY) == rows(reference, STATE_QUERY)
    changes = "SELECT address, from_state, to_state, rule, changed_at FROM state_changes ORDER BY address, id"
    assert rows(db, changes) == rows(reference, changes)
    # the counters on each address agree with its events, and its state with its last change
    mismatched = rows(
        db,
        """SELECT a.address FROM addresses a WHERE
             a.hard_count != (SELECT count(*) FROM events e WHERE e.address = a.address
                              AND e.event_type = 'bounce' AND e.bounce_type = 'hard')
          OR a.soft_count != (SELECT count(*) FROM events e WHERE e.address = a.address
                              AND e.event_type = 'bounce' AND e.bounce_type IN ('soft', 'undetermined'))
          OR a.state != coalesce((SELECT to_state FROM state_changes c WHERE c.address = a.address
                                  ORDER BY c.id DESC LIMIT 1), 'active')""",
    )
    assert mismatched == []
    states = {r[0] for r in rows(db, "SELECT DISTINCT state FROM addresses")}
    assert {"invalid", "suspended"} <= states
