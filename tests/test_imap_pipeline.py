"""A pass's commands sent ahead of their answers, and FETCH answers read without imapclient's
parser: the pure readers, then against the real Dovecot — the batches keep their order, the
lean reader agrees with imapclient's, a stop or a dropped connection or a refused MOVE leaves
nothing lost and nothing counted twice, and no answer is left unread when the pass ends."""

from __future__ import annotations

import imaplib
import threading
import time
from pathlib import Path

import pytest
from conftest import ImapAccount, db_count, synthetic_bounces
from imapclient.exceptions import IMAPClientError
from scripted_imap import ScriptedImap

from bouncewatch.model import ParseOptions
from bouncewatch.service import PassStats, run_pass
from bouncewatch.sources.imap import (
    CONNECTION_ERRORS,
    Credentials,
    ImapFolder,
    _Sent,
    connect,
    open_folder,
)
from bouncewatch.sources.imap_fetch import internaldate_iso, read_bodies, read_sizes, uid_set
from bouncewatch.sources.imap_transport import BoundedIMAPClient, Limits
from bouncewatch.store import Store

MESSAGES = "SELECT count(*) FROM messages"

# --- pure parts ----------------------------------------------------------------------------


def test_uid_set_writes_ranges() -> None:
    assert uid_set([5, 1, 2, 3, 9, 10, 12]) == "1:3,5,9:10,12"
    assert uid_set(range(1, 501)) == "1:500"
    assert uid_set([7]) == "7"
    assert uid_set([3, 3, 2]) == "2:3"
    assert uid_set([]) == ""


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        (b"20-Nov-2026 09:00:00 +0000", "2026-11-20T09:00:00Z"),
        (b" 1-Jan-2027 00:30:00 +0100", "2026-12-31T23:30:00Z"),
        (b"28-feb-2026 22:15:07 -0530", "2026-03-01T03:45:07Z"),
        (b"31-Feb-2026 10:00:00 +0000", None),  # no such day
        (b"20-Foo-2026 09:00:00 +0000", None),
        (b"2026-11-20 09:00:00", None),
    ],
)
def test_internaldate_to_iso_utc(text: bytes, iso: str | None) -> None:
    assert internaldate_iso(text) == iso


def test_bodies_in_any_item_order_and_unsolicited_flags_left_out() -> None:
    data = [
        (b'3 (UID 10 INTERNALDATE "20-Nov-2026 09:00:00 +0000" BODY[] {5}', b"hello"),
        b")",
        b"4 (UID 11 FLAGS (\\Seen))",  # another client's flag change, no body
        (b"5 (BODY[]<0> {3}", b"abc"),
        b' UID 12 INTERNALDATE "20-Nov-2026 10:00:00 -0100")',
    ]
    assert read_bodies(data) == {
        10: (b"hello", "2026-11-20T09:00:00Z"),
        12: (b"abc", "2026-11-20T11:00:00Z"),
    }


def test_the_usual_shape_read_at_once_agrees_with_the_item_by_item_reading() -> None:
    usual = [(b'1 (UID 10 INTERNALDATE "20-Nov-2026 09:00:00 +0000" BODY[] {5}', b"hello"), b")"]
    reordered = [
        (b'1 (INTERNALDATE "20-Nov-2026 09:00:00 +0000" UID 10 BODY[] {5}', b"hello"),
        b")",
    ]
    assert read_bodies(usual) == read_bodies(reordered) == {10: (b"hello", "2026-11-20T09:00:00Z")}
    # a literal shorter than announced: not guessed; more items after it: read item by item
    assert read_bodies([(usual[0][0], b"hell"), b")"]) is None
    assert read_bodies([usual[0], b" FLAGS (x))"]) == read_bodies(usual)
    sizes: dict[int, int] = {}
    assert read_bodies([b"1 (UID 10 RFC822.SIZE 12)", b"2 (RFC822.SIZE 7 UID 11)"], sizes) == {}
    assert sizes == {10: 12, 11: 7}


def test_sizes_answered_among_bodies_are_kept_apart() -> None:
    # a size listing and a FETCH of bodies sent together: the server may interleave them
    data = [
        b"1 (UID 7 RFC822.SIZE 2345)",
        (b'3 (UID 10 INTERNALDATE "20-Nov-2026 09:00:00 +0000" BODY[] {5}', b"hello"),
        b")",
        b"4 (RFC822.SIZE 99 UID 11)",
        b"5 (UID 12 FLAGS (\\Seen))",  # neither: another client's flag change
    ]
    sizes: dict[int, int] = {}
    assert read_bodies(data, sizes) == {10: (b"hello", "2026-11-20T09:00:00Z")}
    assert sizes == {7: 2345, 11: 99}
    assert read_bodies(data) == {10: (b"hello", "2026-11-20T09:00:00Z")}


@pytest.mark.parametrize(
    "data",
    [
        [b'1 (UID 10 BODY[] "hello")'],  # a body as a quoted string
        [b"1 (UID 10 BODY[] NIL)"],
        [(b"1 (UID 10 BODY[HEADER] {5}", b"hello"), b")"],  # another part
        [(b"1 (UID 10 BODY[] {5}", b"hello"), (b" X-GM-LABELS {3}", b"abc"), b")"],
        [(b"1 (UID 10 BODY[] {6}", b"hello"), b")"],  # length not as announced
        [(b"1 (UID 10 X-UNKNOWN 7 BODY[] {5}", b"hello"), b")"],
        [(b"1 (UID 10 UID 11 BODY[] {5}", b"hello"), b")"],  # an item twice
        [(b"1 (UID 10 BODY[] {5}", b"hello"), b""],  # no closing parenthesis
    ],
)
def test_bodies_in_an_unknown_form_are_left_to_imapclient(data: list[object]) -> None:
    assert read_bodies(data) is None


def test_sizes() -> None:
    data = [b"1 (UID 4 RFC822.SIZE 2345)", b"2 (RFC822.SIZE 10 UID 7)", b"3 (FLAGS ())"]
    assert read_sizes(data) == {4: 2345, 7: 10}
    assert read_sizes([b"1 (UID 4 RFC822.SIZE NIL)"]) is None
    assert read_sizes([(b"1 (UID 4 BODY[] {1}", b"x"), b")"]) is None


# --- against Dovecot -----------------------------------------------------------------------


def folder_for(account: ImapAccount, **settings: object) -> ImapFolder:
    folder = open_folder(account.mailbox(), Credentials(account.user, account.password))
    for name, value in settings.items():
        setattr(folder, name, value)
    folder.select()
    return folder


@pytest.mark.imap
@pytest.mark.parametrize("prefetch", [0, 1, 3])
def test_batches_come_in_uid_order_whatever_is_fetched_ahead(
    imap_account: ImapAccount, prefetch: int
) -> None:
    imap_account.append(synthetic_bounces(11, tag=f"order{prefetch}"))
    folder = folder_for(imap_account, batch_count=3, prefetch=prefetch)
    try:
        folder.start_pass()
        uids = folder.pending_uids()
        batches = []
        for batch in folder.fetch(uids):
            batches.append([m.uid for m in batch])
            # the FETCHes of the next batches were sent before this one was handed out (and,
            # once the first chunk of sizes is planned, the listing of the next one)
            bodies = [s for s in folder._sent if s.reader == folder._bodies_of]
            assert len(bodies) == min(prefetch, 4 - len(batches))
            assert folder.awaiting - len(bodies) <= 1
        folder.finish_pass()
        assert folder.awaiting == 0
        # outside a pass every answer is read as its command is sent
        again = []
        for batch in folder.fetch(uids):
            again.append([m.uid for m in batch])
            assert folder.awaiting == 0
    finally:
        folder.logout()
    assert batches == again == [uids[0:3], uids[3:6], uids[6:9], uids[9:11]]


@pytest.mark.imap
def test_lean_reading_agrees_with_imapclient(imap_account: ImapAccount) -> None:
    imap_account.append(synthetic_bounces(4, tag="lean"))
    folder = folder_for(imap_account)
    try:
        uids = folder.pending_uids()
        lean = [(m.uid, m.data, m.received_at) for b in folder.fetch(uids) for m in b]
        sizes = folder.sizes(uids)
        full = folder.client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE", "RFC822.SIZE"])
        cut = folder._bodies(uids[:1], "BODY.PEEK[]<0.100>")
    finally:
        folder.logout()
    expected = [
        (uid, full[uid][b"BODY[]"], full[uid][b"INTERNALDATE"].strftime("%Y-%m-%dT%H:%M:%SZ"))
        for uid in uids
    ]  # a test user's Dovecot keeps INTERNALDATE in UTC
    assert lean == expected
    assert sizes == [(uid, full[uid][b"RFC822.SIZE"]) for uid in uids]
    assert cut == {uids[0]: (full[uids[0]][b"BODY[]"][:100], expected[0][2])}
    assert imap_account.count("INBOX") == 4  # nothing moved, nothing marked


class DropsDuringPrefetch(ImapFolder):
    """The server ends the session (`doveadm kick`) right after the FETCH of the third batch
    was sent ahead, as a restarted or overloaded server does."""

    account: ImapAccount
    sent_batches = 0

    def _send_batch(self, batch: list[int], size_of: dict[int, int]) -> list[_Sent]:
        commands = super()._send_batch(batch, size_of)
        self.sent_batches += 1
        if self.sent_batches == 3:
            self.account.server.doveadm("kick", self.account.user)
        return commands


@pytest.mark.imap
def test_a_connection_dropped_during_a_prefetch_leaves_everything_for_the_next_pass(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    imap_account.append(synthetic_bounces(30, tag="drop"))
    db = tmp_path / "bw.db"
    creds = Credentials(imap_account.user, imap_account.password)
    with Store.open(db) as store:
        mailbox = imap_account.mailbox()
        folder = DropsDuringPrefetch(connect(mailbox, creds), mailbox)
        folder.account = imap_account
        folder.batch_count = 3
        try:
            with pytest.raises((*CONNECTION_ERRORS, IMAPClientError)):
                run_pass(folder, store, ParseOptions())
            assert folder.awaiting == 0
        finally:
            folder.logout()
    # the batches whose answers came before the server ended the session were committed;
    # their MOVEs may or may not have run: whatever is not in Processed is in the INBOX
    recorded = db_count(db, MESSAGES)
    moved = imap_account.count("Processed")
    assert recorded < 30 and recorded % 3 == 0 and moved % 3 == 0 and moved <= recorded
    assert imap_account.count("INBOX") == 30 - moved
    stats = one_pass(imap_account, db)
    assert (stats.fetched, stats.duplicates) == (30 - moved, recorded - moved)
    assert db_count(db, MESSAGES) == 30
    assert db_count(db, "SELECT count(*) FROM events") == 30  # nothing counted twice
    assert imap_account.count("INBOX") == 0 and imap_account.count("Processed") == 30


@pytest.mark.imap
def test_a_stop_mid_pass_acknowledges_what_was_committed_and_fetches_no_further(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    imap_account.append(synthetic_bounces(12, tag="stop"))
    db = tmp_path / "bw.db"
    stop = threading.Event()
    with Store.open(db) as store:
        folder = folder_for(imap_account, batch_count=2, prefetch=2)
        fetched: list[int] = []
        send_batch = folder._send_batch

        def counting(batch: list[int], size_of: dict[int, int]) -> list[_Sent]:
            fetched.append(len(batch))
            return send_batch(batch, size_of)

        folder._send_batch = counting  # type: ignore[method-assign]
        try:
            stats = run_pass(
                folder, store, ParseOptions(), stop=stop, on_message=lambda raw: stop.set()
            )
            assert folder.awaiting == 0  # the FETCHes sent ahead were read and dropped
            folder.noop()  # and the connection is in step
        finally:
            folder.logout()
    assert stats.interrupted and stats.fetched == 1
    assert len(fetched) <= 3  # the batch in hand and those fetched ahead, no more
    assert db_count(db, MESSAGES) == 1
    assert imap_account.count("Processed") == 1 and imap_account.count("INBOX") == 11


@pytest.mark.imap
@pytest.mark.parametrize("prefetch", [0, 1])
def test_a_move_refused_by_the_server_stops_the_pass_as_when_sent_in_line(
    imap_account: ImapAccount, tmp_path: Path, prefetch: int
) -> None:
    imap_account.append(synthetic_bounces(6, tag=f"refused{prefetch}"))
    db = tmp_path / "bw.db"
    with Store.open(db) as store:
        folder = folder_for(imap_account, batch_count=2, prefetch=prefetch)
        other = imap_account.client()
        other.delete_folder("Processed")  # after the pass made sure it exists: MOVE fails
        try:
            with pytest.raises(IMAPClientError, match=r"(?i)move"):
                run_pass(folder, store, ParseOptions())
            assert folder.awaiting == 0
        finally:
            folder.logout()
    # the batches fetched ahead of the refused MOVE may be recorded before the refusal is
    # read; nothing left the INBOX, and the next pass counts what was recorded as duplicates
    recorded = db_count(db, MESSAGES)
    assert 2 <= recorded <= 2 * (1 + prefetch)
    assert imap_account.count("INBOX") == 6
    stats = one_pass(imap_account, db)
    assert (stats.fetched, stats.duplicates) == (6, recorded)
    assert db_count(db, "SELECT count(*) FROM events") == 6
    assert imap_account.count("INBOX") == 0 and imap_account.count("Processed") == 6


def test_a_server_too_slow_for_a_fetch_ahead_is_cut_at_the_command_deadline(
    tmp_path: Path,
) -> None:
    """A FETCH sent ahead keeps its command's deadline (counted from when its answer is
    awaited), and its abort ends the pass; nothing is recorded or moved."""
    with ScriptedImap(trickle=0.05, trickle_bodies=True) as server:
        for message in synthetic_bounces(3, tag="slow"):
            server.add(message)
        mailbox = server.mailbox(tmp_path)
        client = BoundedIMAPClient(
            "127.0.0.1",
            port=server.port,
            ssl=False,
            limits=Limits(command_timeout=1.5, read_timeout=5.0),
        )
        client.login(server.user, server.password)
        folder = ImapFolder(client, mailbox)
        started = time.monotonic()
        with Store.open(tmp_path / "bw.db") as store:
            try:
                with pytest.raises(imaplib.IMAP4.abort, match="command deadline"):
                    run_pass(folder, store, ParseOptions())
            finally:
                folder.logout()
        assert time.monotonic() - started < 15
        assert server.uids("INBOX") == [1, 2, 3]
    assert db_count(tmp_path / "bw.db", MESSAGES) == 0


def one_pass(account: ImapAccount, db: Path) -> PassStats:
    with Store.open(db) as store:
        folder = open_folder(account.mailbox(), Credentials(account.user, account.password))
        try:
            return run_pass(folder, store, ParseOptions())
        finally:
            folder.logout()
