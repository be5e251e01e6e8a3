"""Recording a batch at once (`Store.record_many`, which `ingest` uses) leaves exactly what
recording its messages one at a time (`Store.record`) leaves: the same rows with the same ids,
the same states, the same outcomes -- including when messages of one batch touch the same
address, repeat each other, or repeat what is recorded already; and a batch that fails is
recorded again one message at a time, so the failing message is found and the others kept."""

from __future__ import annotations

import dataclasses
import gc
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fixture_files import all_emls
from store_helpers import NOW, dsn, raw, recipient

from bouncewatch.analyze import analyze
from bouncewatch.errors import StoreWriteError
from bouncewatch.ingest import Summary, ingest
from bouncewatch.model import ParseOptions, ParseResult, RawMessage
from bouncewatch.store import RecordOutcome, Store
from bouncewatch.store.policy import PolicyConfig
from bouncewatch.store.sent import record_sent, sent_message
from bouncewatch.trust.settings import TrustConfig

Batch = Sequence[tuple[RawMessage, ParseResult, datetime]]


def one_at_a_time(store: Store, batch: Batch) -> list[RecordOutcome]:
    with store.batch(size=len(batch) + 1):
        return [store.record(r, result, now) for r, result, now in batch]


def together(store: Store, batch: Batch) -> list[RecordOutcome]:
    with store.batch(size=len(batch) + 1):
        return store.record_many(batch)


def dump(store: Store) -> list[str]:
    return list(store.conn.iterdump())


def both_ways(
    tmp_path: Path,
    batches: Sequence[Batch],
    policy: PolicyConfig | None = None,
    trust: TrustConfig | None = None,
    before: Callable[[Store], object] | None = None,
) -> tuple[list[str], list[list[RecordOutcome]]]:
    """Record `batches` one message at a time and together; assert the databases and the
    outcomes are the same; return the dump and the outcomes."""
    found = []
    for name, record in (("single", one_at_a_time), ("batch", together)):
        with Store.open(tmp_path / f"{name}.db", policy=policy, trust=trust) as store:
            if before is not None:
                before(store)
            outcomes = [record(store, b) for b in batches]
            found.append((dump(store), outcomes))
    assert found[0][0] == found[1][0]
    assert found[0][1] == found[1][1]
    return found[1]


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_every_fixture_in_batches_records_what_one_at_a_time_records(tmp_path: Path) -> None:
    messages = [
        (RawMessage(p.read_bytes(), str(p), received_at="2026-11-01T08:00:00Z"), p)
        for p in all_emls()
    ]
    parsed = [(r, analyze(r.data), at(k / 7)) for k, (r, _p) in enumerate(messages)]
    batches = [parsed[i : i + 97] for i in range(0, len(parsed), 97)]
    batches.append(parsed[::3])  # again: duplicates of what earlier batches recorded
    rows, outcomes = both_ways(tmp_path, batches, PolicyConfig(hard_confirmations=2))
    assert sum(1 for line in rows if line.startswith('INSERT INTO "events"')) > 500
    assert all(o.duplicate for o in outcomes[-1])


def test_messages_of_one_batch_about_one_address_change_it_in_turn(tmp_path: Path) -> None:
    a = "again@example.org"
    batch = [
        (raw("1"), dsn(recipient(a, "soft")), at(0)),
        (raw("2"), dsn(recipient(a, "delayed")), at(1)),  # explains nothing: the reason stays
        (raw("3"), dsn(recipient(a, "soft")), at(25)),
        (raw("4"), dsn(recipient(a, "soft"), recipient("other@example.org", "hard")), at(49)),
        (raw("5"), dsn(recipient(a, "delivered")), at(50)),
    ]
    _rows, (outcomes,) = both_ways(tmp_path, [batch], PolicyConfig(soft_threshold=3))
    assert [o.changes for o in outcomes] == [
        ((a, "active", "soft_bouncing"),),
        (),
        (),
        ((a, "soft_bouncing", "suspended"), ("other@example.org", "active", "invalid")),
        ((a, "suspended", "active"),),
    ]
    with Store.open(tmp_path / "batch.db") as store:
        row = store.conn.execute(
            "SELECT state, soft_count, last_reason, last_event_id, first_seen_at, last_seen_at "
            "FROM addresses WHERE address = ?",
            (a,),
        ).fetchone()
    assert row == ("active", 3, "delivered", 6, "2026-11-02T12:00:00Z", "2026-11-04T14:00:00Z")


def test_a_batch_continues_the_states_recorded_before_it(tmp_path: Path) -> None:
    a = "known@example.org"
    first = [(raw("1"), dsn(recipient(a, "soft")), at(0))]
    second = [
        (raw("2"), dsn(recipient(a, "delayed")), at(24)),
        (raw("3"), dsn(recipient(a, "hard")), at(48)),
        (raw("4"), dsn(recipient(a, "delayed")), at(49)),  # the reason stays the hard bounce's
        (raw("5"), dsn(recipient(a, "delayed")), at(20)),  # an older message read later
    ]
    third = [(raw("6"), dsn(recipient(a, "delayed")), at(10))]
    both_ways(tmp_path, [first, second, third], PolicyConfig(hard_confirmations=2))
    with Store.open(tmp_path / "batch.db") as store:
        row = store.conn.execute(
            "SELECT state, last_reason, last_status, first_seen_at, last_seen_at FROM addresses"
        ).fetchone()
    assert row == (
        "soft_bouncing",
        "user_unknown",
        "5.1.1",
        "2026-11-02T12:00:00Z",
        "2026-11-04T13:00:00Z",
    )


def test_a_message_twice_in_one_batch_is_recorded_once(tmp_path: Path) -> None:
    message = (raw("same"), dsn(recipient("a@example.org")), NOW)
    by_uid = [
        (raw("x", uidvalidity=3, uid=9), dsn(recipient("b@example.org")), NOW),
        (raw("y", uidvalidity=3, uid=9), dsn(recipient("c@example.org")), NOW),
    ]
    _rows, (outcomes,) = both_ways(tmp_path, [[message, *by_uid, message]])
    assert [o.duplicate for o in outcomes] == [False, False, True, True]
    assert outcomes[3].message_row_id == outcomes[0].message_row_id
    assert outcomes[2].message_row_id == outcomes[1].message_row_id
    with Store.open(tmp_path / "batch.db") as store:
        assert store.conn.execute("SELECT count(*) FROM messages").fetchone() == (2,)
        assert store.conn.execute("SELECT count(*) FROM events").fetchone() == (2,)


def test_a_batch_after_a_duplicate_goes_on_with_the_right_ids(tmp_path: Path) -> None:
    old = (raw("old", uidvalidity=1, uid=1), dsn(recipient("a@example.org")), NOW)
    batch = [
        (raw("new1"), dsn(recipient("a@example.org", "soft")), at(1)),
        (raw("old", uidvalidity=1, uid=2), dsn(recipient("a@example.org")), at(2)),  # same bytes
        (raw("new2", uidvalidity=2, uid=1), dsn(recipient("a@example.org", "soft")), at(3)),
        (raw("x", uidvalidity=1, uid=1), dsn(recipient("b@example.org")), at(4)),  # same UID
        (raw("new3"), dsn(recipient("a@example.org", "soft"), recipient("c@x.org")), at(5)),
    ]
    _rows, (_first, outcomes) = both_ways(tmp_path, [[old], batch])
    assert [o.duplicate for o in outcomes] == [False, True, False, True, False]


def test_untrusted_events_in_a_batch_count_on_their_message(tmp_path: Path) -> None:
    def sent(store: Store) -> None:
        message = sent_message("<sent-1@example.com>", ["a@example.org"])
        record_sent(store, [message], NOW)

    returned = dataclasses.replace(
        dsn(recipient("a@example.org"), recipient("b@example.org")),
        original_message_id="<sent-1@example.com>",
    )
    batch = [
        (raw("1"), returned, NOW),
        (raw("2"), dsn(recipient("c@example.org")), NOW),
    ]
    _rows, (outcomes,) = both_ways(
        tmp_path, [batch], trust=TrustConfig(require="known"), before=sent
    )
    assert [o.untrusted for o in outcomes] == [1, 1]
    assert [len(o.changes) for o in outcomes] == [1, 0]


class Listed:
    """A source over messages in memory, each message atomic or not."""

    def __init__(self, messages: list[RawMessage], atomic: bool) -> None:
        self.name = "listed"
        self.messages = messages
        self.each_message_atomic = atomic

    def batches(self) -> Iterator[list[RawMessage]]:
        yield self.messages

    def advance(self, store: Store, batch: Summary) -> None:
        """No cursor."""

    def acknowledge(self, batch: Summary) -> None:
        """Nothing to acknowledge."""


def bounce(i: int, address: str) -> RawMessage:
    data = (
        f"From: MAILER-DAEMON@mx.example.net\nTo: bounces@example.com\nSubject: failure {i}\n"
        f"Message-ID: <{i}.batch@mx.example.net>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nDelivery failed.\n\n--B\n"
        "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; {address}\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--B--\n"
    ).encode()
    return RawMessage(data, "imap:listed", uidvalidity=1, uid=i)


def with_failing_address(path: Path) -> Store:
    store = Store.open(path)
    store.conn.execute(
        "CREATE TRIGGER fail_on_boom BEFORE INSERT ON events WHEN NEW.address LIKE 'boom@%' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    return store


def test_a_failing_message_in_the_middle_of_a_batch_leaves_the_others_recorded(
    tmp_path: Path,
) -> None:
    messages = [bounce(1, "a@example.org"), bounce(2, "boom@example.org"), bounce(3, "c@x.org")]
    with with_failing_address(tmp_path / "bw.db") as store:
        summary = ingest(Listed(messages, atomic=True), store, ParseOptions())
        rows = store.conn.execute("SELECT address FROM addresses ORDER BY 1").fetchall()
        uids = store.conn.execute("SELECT uid FROM messages ORDER BY 1").fetchall()
    assert (summary.fetched, summary.failed, summary.failed_uids) == (3, 1, [2])
    assert summary.processed_uids == [1, 3]
    assert rows == [("a@example.org",), ("c@x.org",)] and uids == [(1,), (3,)]


def test_a_failing_message_in_a_batch_of_files_records_none_of_it(tmp_path: Path) -> None:
    messages = [bounce(1, "a@example.org"), bounce(2, "boom@example.org"), bounce(3, "c@x.org")]
    with with_failing_address(tmp_path / "bw.db") as store:
        with pytest.raises(StoreWriteError, match="boom"):
            ingest(Listed(messages, atomic=False), store, ParseOptions())
        assert store.conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)
        assert not store.conn.in_transaction


def test_an_empty_batch_records_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "bw.db") as store:
        assert together(store, []) == []
        assert store.conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)


def test_a_batch_reads_states_in_a_few_statements(tmp_path: Path) -> None:
    batch = [
        (raw(str(i)), dsn(recipient(f"u{i % 40}@example.org", "soft")), at(i)) for i in range(300)
    ]
    with Store.open(tmp_path / "bw.db") as store:
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        together(store, batch)
        store.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 6, reads  # duplicates, states, sent messages, the two next ids


def test_the_cycle_collector_is_paused_for_a_batch_and_resumed_after(tmp_path: Path) -> None:
    seen: list[bool] = []
    batch = [(raw(str(i)), dsn(recipient(f"u{i}@example.org", "soft")), at(i)) for i in range(3)]
    with with_failing_address(tmp_path / "bw.db") as store:
        store.conn.set_trace_callback(lambda _sql: seen.append(gc.isenabled()))
        assert gc.isenabled()
        together(store, batch)
        assert gc.isenabled()
        with pytest.raises(sqlite3.IntegrityError, match="boom"):  # resumed after a failure too
            together(store, [(raw("x"), dsn(recipient("boom@example.org", "soft")), at(9))])
        assert gc.isenabled()
        gc.disable()  # paused by the caller: left paused
        try:
            together(store, [(raw("y"), dsn(recipient("y@example.org", "soft")), at(10))])
            assert not gc.isenabled()
        finally:
            gc.enable()
    assert False in seen  # the batch's statements ran with it paused


def boom_batch(i: int) -> list[tuple[RawMessage, ParseResult, datetime]]:
    return [(raw(f"boom{i}"), dsn(recipient("boom@example.org", "soft")), at(i))]


def test_a_batch_begun_for_its_messages_needs_no_savepoint(tmp_path: Path) -> None:
    # a savepoint would make SQLite copy every page the batch changes to a statement journal
    batch = [(raw(str(i)), dsn(recipient(f"u{i}@example.org", "soft")), at(i)) for i in range(5)]
    with Store.open(tmp_path / "bw.db") as store:
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        together(store, batch)
        store.conn.set_trace_callback(None)
        assert store.conn.execute("SELECT count(*) FROM messages").fetchone() == (5,)
    assert not [s for s in statements if "SAVEPOINT" in s.upper()], statements


def test_a_failing_batch_begun_for_it_leaves_nothing_and_the_batch_open(tmp_path: Path) -> None:
    with with_failing_address(tmp_path / "bw.db") as store:
        with store.batch(size=100):
            with pytest.raises(sqlite3.IntegrityError, match="boom"):
                store.record_many(boom_batch(1))
            assert store.conn.in_transaction  # begun again: what comes next is still a batch
            assert store.conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)
            store.record_many([(raw("ok"), dsn(recipient("ok@example.org", "soft")), at(2))])
        rows = store.conn.execute("SELECT address FROM addresses").fetchall()
    assert rows == [("ok@example.org",)]


def test_a_failing_batch_keeps_what_its_transaction_wrote_before_it(tmp_path: Path) -> None:
    with with_failing_address(tmp_path / "bw.db") as store:
        with store.batch(size=100, each_message_atomic=False):
            store.record(raw("first"), dsn(recipient("first@example.org", "soft")), at(1))
            statements: list[str] = []
            store.conn.set_trace_callback(statements.append)
            with pytest.raises(sqlite3.IntegrityError, match="boom"):
                store.record_many(boom_batch(2))
            store.conn.set_trace_callback(None)
            assert any("SAVEPOINT" in s.upper() for s in statements)  # its own unit
        rows = store.conn.execute("SELECT address FROM addresses").fetchall()
    assert rows == [("first@example.org",)]
