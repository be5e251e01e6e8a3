"""The one ingest path: a Source's batches are committed before the source acknowledges them,
the cursor moves inside the batch's transaction, and every source yields the same Summary."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import synthetic_bounces

from bouncewatch.ingest import Summary, ingest
from bouncewatch.model import ParseOptions, ParseResult, RawMessage
from bouncewatch.sources.files import FileSource
from bouncewatch.store import Store


class ListSource:
    """A Source over messages in memory that checks, at each acknowledgement, what another
    connection to the database already sees."""

    each_message_atomic = True

    def __init__(self, db: Path, messages: list[bytes], size: int) -> None:
        self.name = "listed"
        self.db = db
        self.raws = [
            RawMessage(data=m, source="imap:listed", uid=i + 1, uidvalidity=7)
            for i, m in enumerate(messages)
        ]
        self.size = size
        self.seen_at_ack: list[int] = []
        self.cursor_at_ack: list[str | None] = []

    def batches(self) -> Iterator[list[RawMessage]]:
        for i in range(0, len(self.raws), self.size):
            yield self.raws[i : i + self.size]

    def advance(self, store: Store, batch: Summary) -> None:
        store.set_meta("listed:last_uid", str(max(batch.processed_uids + batch.quarantined_uids)))

    def acknowledge(self, batch: Summary) -> None:
        other = sqlite3.connect(self.db)
        try:
            self.seen_at_ack.append(other.execute("SELECT count(*) FROM messages").fetchone()[0])
            row = other.execute("SELECT value FROM meta WHERE key = 'listed:last_uid'").fetchone()
            self.cursor_at_ack.append(row[0] if row else None)
        finally:
            other.close()


def test_a_batch_is_committed_with_its_cursor_before_it_is_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "bw.db"
    source = ListSource(db, synthetic_bounces(7, tag="seam"), size=3)
    with Store.open(db) as store:
        summary = ingest(source, store, ParseOptions())
    assert source.seen_at_ack == [3, 6, 7]
    assert source.cursor_at_ack == ["3", "6", "7"]
    assert summary.fetched == 7 and summary.new == 7 and summary.processed_uids == list(range(1, 8))


def test_files_and_folders_give_the_same_summary_as_any_source(tmp_path: Path) -> None:
    box = tmp_path / "box"
    box.mkdir()
    for i, m in enumerate(synthetic_bounces(5, tag="files")):
        (box / f"{i}.eml").write_bytes(m)
    errors: list[str] = []
    source = FileSource(
        [str(box), str(tmp_path / "missing")], 2, on_error=lambda e: errors.append(str(e))
    )
    with Store.open(tmp_path / "bw.db") as store:
        first = ingest(source, store, ParseOptions())
        again = ingest(FileSource([str(box)], 2), store, ParseOptions())
    assert isinstance(first, Summary) and first.fetched == 5 and first.new == 5
    assert source.failed_paths == [str(tmp_path / "missing")] and "no such file" in errors[0]
    assert again.fetched == 5 and again.duplicates == 5 and again.new == 0


class WatchedSource(ListSource):
    """A ListSource that notes whether the cycle collector runs at each step of a batch, and
    can fail inside the batch's transaction."""

    def __init__(self, db: Path, messages: list[bytes], size: int, fail: bool = False) -> None:
        super().__init__(db, messages, size)
        self.fail = fail
        self.collecting: dict[str, list[bool]] = {"read": [], "advance": [], "acknowledge": []}

    def advance(self, store: Store, batch: Summary) -> None:
        self.collecting["advance"].append(gc.isenabled())
        if self.fail:
            raise OSError("cursor not written")
        super().advance(store, batch)

    def acknowledge(self, batch: Summary) -> None:
        self.collecting["acknowledge"].append(gc.isenabled())
        super().acknowledge(batch)


def test_the_cycle_collector_is_paused_for_each_batch_and_resumed_after(tmp_path: Path) -> None:
    source = WatchedSource(tmp_path / "bw.db", synthetic_bounces(5, tag="gc"), size=2)
    assert gc.isenabled()
    with Store.open(tmp_path / "bw.db") as store:
        summary = ingest(
            source,
            store,
            ParseOptions(),
            on_message=lambda _raw: source.collecting["read"].append(gc.isenabled()),
        )
    assert summary.new == 5
    assert source.collecting == {
        "read": [False] * 5,  # parsed with it paused
        "advance": [False] * 3,  # recorded, cursor moved: still paused
        "acknowledge": [True] * 3,  # committed: running again before the acknowledgement
    }
    assert gc.isenabled()


def test_the_cycle_collector_resumes_after_a_failed_batch(tmp_path: Path) -> None:
    source = WatchedSource(tmp_path / "bw.db", synthetic_bounces(2, tag="gcfail"), 2, fail=True)
    with Store.open(tmp_path / "bw.db") as store:
        with pytest.raises(OSError, match="cursor not written"):
            ingest(source, store, ParseOptions())
        assert store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert source.collecting["advance"] == [False]
    assert gc.isenabled()


def test_a_pause_the_caller_made_is_left_to_the_caller(tmp_path: Path) -> None:
    source = WatchedSource(tmp_path / "bw.db", synthetic_bounces(2, tag="gcheld"), size=1)
    gc.disable()
    try:
        with Store.open(tmp_path / "bw.db") as store:
            ingest(source, store, ParseOptions())
        assert source.collecting["acknowledge"] == [False, False]
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_parse_results_are_gone_when_the_collector_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its first collection after a batch would otherwise walk every result of the batch."""

    def live_results() -> int:
        return sum(isinstance(o, ParseResult) for o in gc.get_objects())

    alive_at_resume: list[int] = []
    enable = gc.enable

    def noting_enable() -> None:
        alive_at_resume.append(live_results())
        enable()

    source = ListSource(tmp_path / "bw.db", synthetic_bounces(6, tag="gcgone"), size=3)
    with Store.open(tmp_path / "bw.db") as store:
        before = live_results()
        monkeypatch.setattr(gc, "enable", noting_enable)
        summary = ingest(source, store, ParseOptions())
        monkeypatch.undo()
    assert summary.new == 6
    # one resume a batch (the store's own pause inside it finds the collector off: not its
    # to resume), with none of the batch's results alive any more
    assert len(alive_at_resume) == 2
    assert all(n <= before for n in alive_at_resume), (before, alive_at_resume)


def test_a_batch_is_parsed_before_its_transaction_begins(tmp_path: Path) -> None:
    """The database is not held while messages are parsed (another writer may go in between,
    and a checkpoint asked for by the last commit can finish)."""
    source = ListSource(tmp_path / "bw.db", synthetic_bounces(5, tag="order"), size=2)
    with Store.open(tmp_path / "bw.db") as store:
        held: list[bool] = []
        summary = ingest(
            source,
            store,
            ParseOptions(),
            on_message=lambda _raw: held.append(store.conn.in_transaction),
        )
    assert held == [False] * 5
    assert summary.new == 5 and source.seen_at_ack == [2, 4, 5]
