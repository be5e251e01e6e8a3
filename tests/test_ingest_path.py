"""The one ingest path: a Source's batches are committed before the source acknowledges them,
the cursor moves inside the batch's transaction, and every source yields the same Summary."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from conftest import synthetic_bounces

from bouncewatch.ingest import Summary, ingest
from bouncewatch.model import ParseOptions, RawMessage
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
