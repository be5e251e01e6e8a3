"""Forged bounces against a real SQLite file, through the parser and the recorder.

Anyone can mail a bounce mailbox.  Each attack here is a message an outsider can write by
hand; with `require = "signed"` or `"known"` none of them changes an address's state, and
with `require = "any"` the limits that hold in every mode (recipients per message, the
policy's clock, feedback-loop senders) still do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import dsn, recipient

from bouncewatch.analyze import analyze as parse_message
from bouncewatch.config import PolicyConfig, TrustConfig
from bouncewatch.model import RawMessage
from bouncewatch.store import Store
from bouncewatch.store.sent import SentMessage, record_sent
from bouncewatch.trust.signing import sign

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
SECRET = b"correct horse battery staple 2026"
VICTIM = "ceo@bigcustomer.example"

HAND_WRITTEN_DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.forger.example>
To: bounces@sender.example
Subject: Delivery Status Notification (Failure)
Date: Thu, 03 Dec 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="x"

--x
Content-Type: text/plain

Your message could not be delivered.

--x
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.forger.example

Final-Recipient: rfc822; ceo@bigcustomer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user

--x--
"""

MINIMAL_ARF = b"""From: abuse@forger.example
To: bounces@sender.example
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="y"

--y
Content-Type: text/plain

This is an abuse report.

--y
Content-Type: message/feedback-report

Feedback-Type: abuse
Version: 1
Original-Rcpt-To: <ceo@bigcustomer.example>

--y
Content-Type: text/rfc822-headers

From: news@sender.example
To: ceo@bigcustomer.example
Subject: Our news

--y--
"""

SEVEN_LINE_TEXT = b"""From: MAILER-DAEMON@mx.forger.example
To: bounces@sender.example
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mx.forger.example.

<ceo@bigcustomer.example>: host mx.bigcustomer.example said: 550 5.1.1 User unknown
"""

UNSIGNED_VERP = b"""From: postmaster@forger.example
To: bounces+ceo=bigcustomer.example@sender.example
Delivered-To: bounces+ceo=bigcustomer.example@sender.example
Subject: Undeliverable: hello

550 5.1.1 The email account that you tried to reach does not exist.
"""

ATTACKS = {
    "hand_written_dsn": HAND_WRITTEN_DSN,
    "minimal_arf": MINIMAL_ARF,
    "seven_line_text": SEVEN_LINE_TEXT,
    "unsigned_verp": UNSIGNED_VERP,
}


def open_store(path: Path, trust: TrustConfig, policy: PolicyConfig | None = None) -> Store:
    return Store.open(path, policy=policy, trust=trust, verp_secrets=(SECRET,))


def ingest(store: Store, data: bytes, n: int = 0, received: datetime = NOW):
    result = parse_message(data)
    raw = RawMessage(data=data, source=f"test/{n}", received_at=received.isoformat())
    return store.record(raw, result, received)


def state(store: Store, address: str = VICTIM) -> str | None:
    row = store.conn.execute("SELECT state FROM addresses WHERE address = ?", (address,))
    found = row.fetchone()
    return None if found is None else found[0]


def events(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT address, event_type, trusted, trust FROM events ORDER BY id"
    ).fetchall()


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_each_attack_parses_as_a_report_about_the_victim(name: str) -> None:
    # (so the tests below are about trust, not about a message the parser ignores)
    result = parse_message(ATTACKS[name])
    assert [r.report.address.lower() for r in result.recipients] == [VICTIM]


@pytest.mark.parametrize("require", ["known", "signed"])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_with_authentication_required_a_forgery_changes_nothing(
    tmp_path: Path, name: str, require: str
) -> None:
    with open_store(tmp_path / "bw.db", TrustConfig(require=require)) as store:
        out = ingest(store, ATTACKS[name])
        assert out.changes == () and out.untrusted == 1
        assert state(store) is None
        assert store.conn.execute("SELECT count(*) FROM state_changes").fetchone() == (0,)
        ((address, _type, trusted, why),) = events(store)
        assert (address, trusted, why) == (VICTIM, 0, "not_authenticated")


@pytest.mark.parametrize("name", ["hand_written_dsn", "seven_line_text", "unsigned_verp"])
def test_with_require_any_a_single_forged_bounce_still_counts(tmp_path: Path, name: str) -> None:
    # compatibility: "any" is what bouncewatch always did (check-config says so plainly)
    with open_store(tmp_path / "bw.db", TrustConfig()) as store:
        ingest(store, ATTACKS[name])
        assert state(store) == "invalid"
        assert events(store)[0][2:] == (1, "unauthenticated")


def test_a_forged_complaint_changes_nothing_even_with_require_any(tmp_path: Path) -> None:
    with open_store(tmp_path / "bw.db", TrustConfig()) as store:
        out = ingest(store, MINIMAL_ARF)
        assert state(store) is None and out.untrusted == 1
        assert events(store) == [(VICTIM, "complaint", 0, "complaint_sender")]


def test_a_complaint_from_a_configured_feedback_loop_counts(tmp_path: Path) -> None:
    trust = TrustConfig(complaint_senders=("forger.example",))
    with open_store(tmp_path / "bw.db", trust) as store:
        ingest(store, MINIMAL_ARF)
        assert state(store) == "complained"
    # an address, and subdomains of a domain, match too; a look-alike domain doesn't
    for senders, expected in (
        (("abuse@forger.example",), "complained"),
        (("example",), "complained"),
        (("orger.example",), None),
        (("other@forger.example",), None),
    ):
        path = tmp_path / f"{senders[0]}.db"
        with open_store(path, TrustConfig(complaint_senders=senders)) as store:
            ingest(store, MINIMAL_ARF)
            assert state(store) == expected, senders


def many_recipients(n: int) -> bytes:
    blocks = "".join(
        f"\nFinal-Recipient: rfc822; user{i}@bigcustomer.example\nAction: failed\nStatus: 5.1.1\n"
        for i in range(n)
    )
    return (
        HAND_WRITTEN_DSN.split(b"Final-Recipient")[0].rstrip(b"\n") + blocks.encode() + b"\n--x--\n"
    )


def test_one_message_naming_100000_recipients_changes_at_most_the_limit(tmp_path: Path) -> None:
    # the report as the parser gives it (a parsed one is below, with fewer recipients: reading
    # 100,000 recipients is the parser's business, measured in benchmarks/)
    result = dsn(*(recipient(f"user{i}@bigcustomer.example") for i in range(100_000)))
    with open_store(tmp_path / "bw.db", TrustConfig()) as store:
        out = store.record(RawMessage(b"forged", "test/100000"), result, NOW)
        assert out.events == 100_000 and len(out.changes) == 100 and out.untrusted == 99_900
        counts = dict(
            store.conn.execute("SELECT trust, count(*) FROM events GROUP BY trust").fetchall()
        )
        assert counts == {"unauthenticated": 100, "over_recipient_limit": 99_900}
        assert store.conn.execute("SELECT count(*) FROM addresses").fetchone() == (100,)
        assert store.conn.execute("SELECT untrusted FROM messages").fetchone() == (99_900,)


def test_a_parsed_dsn_naming_more_recipients_than_the_limit(tmp_path: Path) -> None:
    with open_store(tmp_path / "bw.db", TrustConfig()) as store:
        out = ingest(store, many_recipients(300))
        assert out.events == 300 and len(out.changes) == 100 and out.untrusted == 200


def test_the_recipient_limit_is_configurable(tmp_path: Path) -> None:
    trust = TrustConfig(max_recipients_per_message=3)
    with open_store(tmp_path / "bw.db", trust) as store:
        out = ingest(store, many_recipients(5))
        assert len(out.changes) == 3 and out.untrusted == 2


def backdated(arrival: str, n: int) -> bytes:
    return HAND_WRITTEN_DSN.replace(
        b"Reporting-MTA: dns; mx.forger.example\n",
        f"Reporting-MTA: dns; mx.forger.example\nArrival-Date: {arrival}\n".encode(),
    ).replace(b"Subject: ", f"Subject: {n} ".encode())


def test_back_dated_arrival_dates_do_not_confirm_a_hard_bounce(tmp_path: Path) -> None:
    # two forged reports received minutes apart, claiming to be from days apart
    policy = PolicyConfig(hard_confirmations=2)
    with open_store(tmp_path / "bw.db", TrustConfig(), policy) as store:
        ingest(store, backdated("Mon, 23 Nov 2026 08:00:00 +0000", 1), 1, NOW)
        ingest(
            store, backdated("Thu, 03 Dec 2026 08:00:00 +0000", 2), 2, NOW + timedelta(minutes=3)
        )
        assert state(store) == "soft_bouncing"  # pending confirmation, not invalid
        times = [r[0] for r in store.conn.execute("SELECT occurred_at FROM events")]
        assert times == ["2026-12-04T10:00:00Z", "2026-12-04T10:03:00Z"]
        # a real second bounce, received the next day, confirms it
        ingest(store, backdated("Fri, 04 Dec 2026 08:00:00 +0000", 3), 3, NOW + timedelta(days=1))
        assert state(store) == "invalid"


# --- what authenticates -------------------------------------------------------------------------


def signed_bounce(return_path: str, recipients: tuple[str, ...] = (VICTIM,)) -> bytes:
    blocks = "".join(
        f"\nFinal-Recipient: rfc822; {r}\nAction: failed\nStatus: 5.1.1\n" for r in recipients
    )
    head = HAND_WRITTEN_DSN.split(b"Final-Recipient")[0].rstrip(b"\n").decode()
    head = head.replace("To: bounces@sender.example", f"To: {return_path}")
    return f"Delivered-To: {return_path}\n{head}{blocks}\n--x--\n".encode()


def test_a_bounce_to_its_signed_return_path_is_authenticated(tmp_path: Path) -> None:
    path = sign(VICTIM, [SECRET], NOW - timedelta(days=2), prefix="bounces", domain="s.example")
    with open_store(tmp_path / "bw.db", TrustConfig(require="signed")) as store:
        ingest(store, signed_bounce(path))
        assert state(store) == "invalid"
        assert events(store) == [(VICTIM, "bounce", 1, "signed_verp")]


def test_a_signed_return_path_vouches_for_its_own_address_only(tmp_path: Path) -> None:
    path = sign(VICTIM, [SECRET], NOW, prefix="bounces", domain="s.example")
    data = signed_bounce(path, (VICTIM, "cfo@bigcustomer.example"))
    with open_store(tmp_path / "bw.db", TrustConfig(require="signed")) as store:
        ingest(store, data)
        assert state(store) == "invalid" and state(store, "cfo@bigcustomer.example") is None
        assert [e[2:] for e in events(store)] == [(1, "signed_verp"), (0, "not_authenticated")]


@pytest.mark.parametrize(
    ("secret", "signed_at", "why"),
    [
        (b"someone else's secret, 32 chars!", NOW, "wrong secret"),
        (SECRET, NOW - timedelta(days=61), "older than verp_max_age"),
        (SECRET, NOW + timedelta(days=3), "dated in the future"),
    ],
)
def test_a_return_path_that_does_not_verify_authenticates_nothing(
    tmp_path: Path, secret: bytes, signed_at: datetime, why: str
) -> None:
    path = sign(VICTIM, [secret], signed_at, prefix="bounces", domain="s.example")
    with open_store(tmp_path / "bw.db", TrustConfig(require="signed")) as store:
        ingest(store, signed_bounce(path))
        assert state(store) is None, why


def test_a_tag_copied_onto_another_address_does_not_verify(tmp_path: Path) -> None:
    path = sign("me@forger.example", [SECRET], NOW, prefix="bounces", domain="s.example")
    forged = path.replace("me=forger.example", "ceo=bigcustomer.example")
    with open_store(tmp_path / "bw.db", TrustConfig(require="signed")) as store:
        ingest(store, signed_bounce(forged))
        assert state(store) is None


def test_key_rotation_the_old_secret_still_verifies(tmp_path: Path) -> None:
    old = b"the secret used until last week!"
    path = sign(VICTIM, [old], NOW - timedelta(days=5), prefix="bounces", domain="s.example")
    trust = TrustConfig(require="signed")
    with Store.open(tmp_path / "bw.db", trust=trust, verp_secrets=(SECRET, old)) as store:
        ingest(store, signed_bounce(path))
        assert state(store) == "invalid"


def test_a_bounce_returning_a_known_message_id_is_authenticated(tmp_path: Path) -> None:
    data = HAND_WRITTEN_DSN.replace(
        b"--x--\n",
        b"--x\nContent-Type: text/rfc822-headers\n\nFrom: news@sender.example\n"
        b"To: ceo@bigcustomer.example\nMessage-ID: <n1.42@sender.example>\n\n--x--\n",
    )
    with open_store(tmp_path / "bw.db", TrustConfig(require="known")) as store:
        # not recorded yet: refused
        ingest(store, data, 1)
        assert state(store) is None
        # recorded for another recipient only: still refused
        record_sent(store, [SentMessage("n1.42@sender.example", ("cfo@bigcustomer.example",))], NOW)
        ingest(store, data.replace(b"Subject: ", b"Subject: 2 "), 2)
        assert state(store) is None
        # recorded for this recipient: authenticated
        record_sent(store, [SentMessage("n1.42@sender.example", (VICTIM,))], NOW)
        ingest(store, data.replace(b"Subject: ", b"Subject: 3 "), 3)
        assert state(store) == "invalid"
        assert [e[2:] for e in events(store)] == [
            (0, "not_authenticated"),
            (0, "not_authenticated"),
            (1, "known_message"),
        ]
    with open_store(tmp_path / "signed.db", TrustConfig(require="signed")) as store:
        record_sent(store, [SentMessage("n1.42@sender.example", (VICTIM,))], NOW)
        ingest(store, data)
        assert state(store) is None  # "signed" takes a signed return path only
