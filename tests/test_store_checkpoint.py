"""The WAL is copied into the database file by a thread of the store's own, asked for after a
batch's commit fills it: the commit does not wait for the copy, the WAL starts again from its
beginning once the copy is complete, and closing the store ends the thread."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from store_helpers import NOW, dsn, raw, recipient

from bouncewatch.store import Store
from bouncewatch.store import database as database_module
from bouncewatch.store.checkpoint import Checkpointer

#: the WAL size (KiB) that asks for a checkpoint in these tests: a batch of 40 messages fills it
LIMIT_KIB = 64


@pytest.fixture
def small_wal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "WAL_CHECKPOINT_KIB", LIMIT_KIB)


def record_batches(store: Store, batches: int, size: int = 40, tag: str = "m") -> None:
    for b in range(batches):
        messages = [
            (raw(f"{tag}{b}-{i}"), dsn(recipient(f"{tag}{b}-{i}@example.org", "soft")), NOW)
            for i in range(size)
        ]
        with store.batch(size=size + 1, each_message_atomic=False):
            store.record_many(messages)


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoint"]


def wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def messages_in_file_alone(db: Path, tmp_path: Path) -> int:
    """The messages the database file holds without its WAL (what was checkpointed)."""
    copy = tmp_path / "file-alone.db"
    shutil.copyfile(db, copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.usefixtures("small_wal")
def test_a_batch_that_fills_the_wal_has_it_copied_into_the_file(tmp_path: Path) -> None:
    db = tmp_path / "bw.db"
    with Store.open(db) as store:
        record_batches(store, 1)
        assert wal_size(db) > LIMIT_KIB * 1024
        assert store.checkpointer is not None
        assert store.checkpointer.wait(timeout=30)
        assert store.checkpointer.done >= 1
        assert store.checkpointer.busy_timeout == database_module.DEFAULT_BUSY_TIMEOUT
        assert messages_in_file_alone(db, tmp_path) == 40  # in the file, not only in the WAL
        # the commits' own checkpoint is the bound should the thread fall behind
        page = store.conn.execute("PRAGMA page_size").fetchone()[0]
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == (
            4 * LIMIT_KIB * 1024 // page
        )


@pytest.mark.usefixtures("small_wal")
def test_the_wal_starts_again_once_a_checkpoint_copied_it_all(tmp_path: Path) -> None:
    db = tmp_path / "bw.db"
    sizes = []
    with Store.open(db) as store:
        for b in range(12):  # one after the other: each waits for the last one's checkpoint
            record_batches(store, 1, tag=f"b{b}-")
            sizes.append(wal_size(db))
        assert store.checkpointer is not None and store.checkpointer.done >= 11
        total = store.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert total == 12 * 40
    # each batch's frames are written from the WAL's beginning again (the file cut back to
    # the limit first), not after the last batch's: its size is one batch's frames, a few more
    # as the indexes grow (54 pages by the twelfth batch against 20 for the first).  Kept one
    # after the other, twelve batches' frames would take over 1.5 MB.
    assert max(sizes) < 4 * sizes[0], sizes


def test_a_batch_that_leaves_the_wal_small_starts_no_thread(tmp_path: Path) -> None:
    with Store.open(tmp_path / "bw.db") as store:
        record_batches(store, 2, size=5)
        store.record(raw("one"), dsn(recipient("one@example.org")), NOW)
        assert store.checkpointer is None
    assert not checkpoint_threads()


@pytest.mark.usefixtures("small_wal")
def test_closing_the_store_ends_the_thread_and_keeps_every_message(tmp_path: Path) -> None:
    db = tmp_path / "bw.db"
    with Store.open(db) as store:
        record_batches(store, 3)
        assert checkpoint_threads()
    assert not checkpoint_threads()
    assert store.checkpointer is None
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 120
    finally:
        conn.close()


def test_a_checkpoint_that_cannot_open_the_file_is_logged_and_makes_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bouncewatch.store")
    gone = tmp_path / "gone.db"
    nowhere = Checkpointer(gone, busy_timeout=1.0)
    nowhere.request()
    assert nowhere.wait(timeout=10)
    nowhere.request()  # the thread is gone: asking again waits for nothing
    assert nowhere.wait(timeout=10)
    nowhere.stop()
    assert nowhere.done == 0
    assert not gone.exists()  # the store's file or nothing: never a new one
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith(f"event=checkpoint_failed path={gone} ") for line in lines), lines


def test_a_checkpoint_of_a_file_that_is_no_database_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bouncewatch.store")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database file\n" * 200)
    checkpointer = Checkpointer(junk, busy_timeout=1.0)
    checkpointer.request()
    assert checkpointer.wait(timeout=10)
    checkpointer.stop()
    assert checkpointer.done == 0
    assert junk.read_bytes() == b"this is not a database file\n" * 200  # untouched
    assert any("checkpoint_failed" in r.getMessage() for r in caplog.records)


@pytest.mark.usefixtures("small_wal")
def test_a_store_opened_by_a_relative_path_is_checkpointed_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bouncewatch.store")
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(home)
    with Store.open("bw.db") as store:
        monkeypatch.chdir(elsewhere)
        record_batches(store, 1)
        assert store.checkpointer is not None and store.checkpointer.wait(timeout=30)
        assert store.checkpointer.done == 1
        assert messages_in_file_alone(home / "bw.db", tmp_path) == 40
    assert not any("checkpoint_failed" in r.getMessage() for r in caplog.records)
    assert list(elsewhere.iterdir()) == []
