"""Opening files: creation, migrations from every earlier version, foreign and corrupt files,
and concurrency (WAL readers, a second writer)."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils
from store_helpers import NOW, dsn, raw, recipient

from bouncewatch.errors import StoreError
from bouncewatch.store import Store, database
from bouncewatch.store.migrations import MIGRATIONS, migrate
from bouncewatch.store.report_views import VIEWS as REPORT_VIEWS
from bouncewatch.store.schema import APPLICATION_ID, SCHEMA_VERSION


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_a_new_file_is_created_in_wal_mode_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    assert pragma(path, "journal_mode") == "wal"
    assert pragma(path, "user_version") == SCHEMA_VERSION == len(MIGRATIONS)
    assert pragma(path, "application_id") == APPLICATION_ID
    db = sqlite_utils.Database(path)
    for table in ("messages", "events", "addresses", "state_changes", "meta", "sent"):
        assert db[table].exists()
    assert {"suppressed", *REPORT_VIEWS} <= set(db.view_names())


def test_reopening_rewrites_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bw.db"
    Store.open(path).close()
    before = pragma(path, "schema_version")
    Store.open(path).close()
    assert pragma(path, "schema_version") == before


def _fill_at_version(path: Path, version: int) -> None:
    """A database as an older bouncewatch left it, with some data in it."""
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    migrate(db, target=version)
    if version >= 1:
        db.execute(
            "INSERT INTO messages (source, sha256, size, processed_at, outcome) "
            "VALUES ('old', 'abc', 10, '2026-01-01T00:00:00Z', 'parsed')"
        )
        db.execute(
            "INSERT INTO events (message_id, address, domain, event_type, bounce_type, reason, "
            "rule, detector, occurred_at, recorded_at) VALUES (1, 'old@example.org', "
            "'example.org', 'bounce', 'hard', 'user_unknown', 'status:5.1.1', 'rfc3464', "
            "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
        )
        db.execute(
            "INSERT INTO addresses (address, domain, state, state_since, hard_count, "
            "last_event_id, first_seen_at, last_seen_at) VALUES ('old@example.org', "
            "'example.org', 'invalid', '2026-01-01T00:00:00Z', 1, 1, '2026-01-01T00:00:00Z', "
            "'2026-01-01T00:00:00Z')"
        )
    db.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_migration_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / f"v{version}.db"
    _fill_at_version(path, version)
    assert pragma(path, "user_version") == version
    with Store.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        if version >= 1:  # the old data is still there, and still suppressed
            row = store.db.execute("SELECT address, state, reason FROM suppressed").fetchone()
            assert row == ("old@example.org", "invalid", None)
            assert store.db.execute("SELECT counted FROM events").fetchone() == (0,)
            # events from before trust existed changed state: they stay trusted
            assert store.db.execute("SELECT trusted, trust FROM events").fetchone() == (1, None)
            assert store.db.execute("SELECT untrusted FROM messages").fetchone() == (0,)
        assert store.db.execute("SELECT count(*) FROM sent_messages").fetchone() == (0,)
        # and the migrated file works like a new one
        out = store.record(raw("new"), dsn(recipient("new@example.org", "soft")), NOW)
        assert out.changes == (("new@example.org", "active", "soft_bouncing"),)
        assert store.db.execute(
            "SELECT soft_days FROM addresses WHERE address LIKE 'new@%'"
        ).fetchone() == ("2026-11-02",)


def test_two_processes_opening_a_new_file_migrate_it_once(tmp_path: Path) -> None:
    """Four connections open one new file at once: each waits for the others (SQLite answers
    the switch to WAL with "locked" at once while another connection makes it), none fails.
    A hundred new files: the race is lost a few times in a hundred."""
    for round_ in range(100):
        path = tmp_path / f"race-{round_}.db"
        errors: list[BaseException] = []

        def opener(path: Path = path, errors: list[BaseException] = errors) -> None:
            try:
                Store.open(path).close()
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=opener) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [], f"round {round_}"
        assert pragma(path, "user_version") == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a text file, not a database\n" * 100, "not a SQLite file"),
        (b"SQLite format 3\x00" + b"\xff" * 200, "not a bouncewatch database"),
    ],
)
def test_corrupt_files_are_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        Store.open(path)
    assert path.read_bytes() == content  # and nothing was written to it


def test_foreign_sqlite_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(
        StoreError, match=r"not a bouncewatch database \(it has other tables: customers\)"
    ):
        Store.open(other)

    app = tmp_path / "app.db"
    conn = sqlite3.connect(app)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE messages (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="belongs to another program"):
        Store.open(app)

    versioned = tmp_path / "versioned.db"
    conn = sqlite3.connect(versioned)
    conn.execute("CREATE TABLE things (x)")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="without our tables"):
        Store.open(versioned)


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer bouncewatch"):
        Store.open(path)


def test_paths_that_cannot_be_databases(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        Store.open(tmp_path)
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "missing" / "bw.db")


def test_the_wal_is_copied_into_the_file_every_few_megabytes_and_cut_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WAL is checkpointed once it holds WAL_CHECKPOINT_KIB, not at every commit, and its
    file is cut back to that size when it restarts: it never keeps more disk than one batch
    past the bound."""
    monkeypatch.setattr(database, "WAL_CHECKPOINT_KIB", 256)
    path, wal = tmp_path / "bw.db", tmp_path / "bw.db-wal"
    store = Store.open(path)
    page = pragma(path, "page_size")
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] * page == 256 * 1024
    assert store.conn.execute("PRAGMA journal_size_limit").fetchone()[0] == 256 * 1024
    sizes = []
    for b in range(40):  # batches of 50 messages, each a few dozen pages
        with store.batch(51, each_message_atomic=False):
            store.record_many(
                [
                    (raw(f"m{b}-{i}"), dsn(recipient(f"u{b}-{i}@example.org")), NOW)
                    for i in range(50)
                ]
            )
        sizes.append(wal.stat().st_size)
    batch = max(b - a for a, b in itertools.pairwise(sizes))  # one batch's frames
    assert max(sizes) > 2 * batch  # not checkpointed at every commit
    assert max(sizes) <= 256 * 1024 + 2 * batch  # but once it holds the bound
    assert path.stat().st_size > 256 * 1024  # pages were copied into the file along the way
    store.close()
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 2000
    reader.close()


def test_a_long_read_transaction_does_not_block_recording(tmp_path: Path) -> None:
    path = tmp_path / "bw.db"
    store = Store.open(path, busy_timeout=1.0)
    store.record(raw("first"), dsn(recipient("a@example.org")), NOW)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    started = time.monotonic()
    for i in range(200):  # the reader keeps its snapshot open all along
        store.record(raw(f"m{i}"), dsn(recipient(f"u{i}@example.org")), NOW)
    assert time.monotonic() - started < 30
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1  # its snapshot
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 201
    reader.close()
    store.close()


def test_a_second_writer_waits_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "bw.db"
    store = Store.open(path, busy_timeout=10.0)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO meta(key, value) VALUES ('held', 'yes')")
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    out = store.record(raw("a"), dsn(recipient("a@example.org")), NOW)
    waited = time.monotonic() - started
    release.join()
    other.close()
    assert out.events == 1 and waited >= 0.3
    assert store.get_meta("held") == "yes"
    store.close()


def test_a_database_locked_by_another_process_is_a_busy_error_not_a_broken_one(
    tmp_path: Path,
) -> None:
    """Another process holding the file locked past the busy timeout is worth retrying later
    (the daemon exits 75, which systemd restarts), unlike a corrupt or foreign file (78)."""
    from bouncewatch.daemon import EX_CONFIG, EX_TEMPFAIL, _store_exit
    from bouncewatch.errors import StoreBusyError

    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other_tool_staging (x)")  # not yet ours: Store.open migrates
    holder.execute("DROP TABLE other_tool_staging")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusyError, match="locked by another process"):
            Store.open(path, busy_timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    Store.open(path).close()  # once the lock is gone, the same file opens
    assert _store_exit(StoreBusyError("busy")) == EX_TEMPFAIL
    assert _store_exit(StoreError("foreign")) == EX_CONFIG
