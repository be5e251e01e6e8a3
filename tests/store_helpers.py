"""Building parse results for store tests (the parser has its own tests)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from bouncewatch.model import (
    Classification,
    ParseResult,
    RawMessage,
    RecipientReport,
    RecipientResult,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

TYPES = {
    "hard": ("user_unknown", "5.1.1", 550, "failed"),
    "soft": ("mailbox_full", "4.2.2", 452, "failed"),
    "block": ("blocked", "5.7.1", 554, "failed"),
    "delayed": ("delayed", "4.4.7", None, "delayed"),
    "delivered": ("delivered", "2.0.0", 250, "delivered"),
}


def recipient(address: str, kind: str = "hard", date: str | None = None) -> RecipientResult:
    reason, status, code, action = TYPES[kind]
    btype = kind if kind in ("hard", "soft", "block") else "none"
    report = RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=code,
        diagnostic=f"{code} {status} test diagnostic for {address}",
        remote_mta="mx.example.org",
        last_attempt_date=date,
    )
    return RecipientResult(report, Classification(btype, reason, f"status:{status}"))


def dsn(*recipients: RecipientResult, date: str | None = None, kind: str = "dsn") -> ParseResult:
    return ParseResult(
        kind=kind,
        detector="rfc3464",
        recipients=tuple(recipients),
        message_id="<bounce@mx.example.net>",
        date=date,
        reporting_mta="mx.example.net",
        list_source="spring-sale",
    )


def raw(tag: str, **kw: object) -> RawMessage:
    return RawMessage(data=f"Subject: {tag}\n\nbody {tag}\n".encode(), source="test", **kw)  # type: ignore[arg-type]


CASES = (
    ("5.1.1", 550, "Requested action not taken: mailbox unavailable, user unknown"),
    ("4.2.2", 452, "Mailbox full, try again later"),
    ("5.2.2", 552, "Mailbox quota exceeded"),
    ("4.7.1", 450, "Greylisted, please try again in 300 seconds"),
)


def dsn_bytes(i: int, address: str, status: str, code: int, text: str, day: int) -> bytes:
    """A Postfix-style RFC 3464 report, varied by `i`."""
    date = f"{1 + day % 28:02d} Oct 2026 {i % 24:02d}:{i % 60:02d}:00 +0000"
    return (
        f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
        f"To: bounces@example.com\n"
        f"Subject: Undelivered Mail Returned to Sender\n"
        f"Date: Thu, {date}\n"
        f"Message-ID: <{i}.bounce@mx.example.net>\n"
        f"MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="b{i}"\n\n'
        f"--b{i}\nContent-Type: text/plain\n\n"
        f"I'm sorry to have to inform you that your message could not be delivered.\n\n"
        f"<{address}>: host mx.example.org said: {code} {status} {text}\n\n"
        f"--b{i}\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.example.net\nArrival-Date: Thu, {date}\n\n"
        f"Final-Recipient: rfc822; {address}\nOriginal-Recipient: rfc822;{address}\n"
        f"Action: failed\nStatus: {status}\nRemote-MTA: dns; mx.example.org\n"
        f"Diagnostic-Code: smtp; {code} {status} {text}\n\n"
        f"--b{i}\nContent-Type: text/rfc822-headers\n\n"
        f"From: news@example.com\nTo: {address}\nMessage-ID: <{i}.sent@example.com>\n"
        f"Subject: Our autumn letter\n\n--b{i}--\n"
    ).encode()


def write_maildir(root, count: int, addresses: int = 300) -> None:  # type: ignore[no-untyped-def]
    """A Maildir of `count` reports about `addresses` recipients over a month."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        status, code, text = CASES[i % len(CASES)]
        address = f"user{(i * 7) % addresses}@example.org"
        day = i * 28 // max(count, 1)
        data = dsn_bytes(i, address, status, code, text, day=day)
        path = root / "cur" / f"{1700000000 + i:012d}.M{i}P1.host:2,S"
        path.write_bytes(data)
        # delivered when the report is dated: a Maildir file's time is when it arrived
        when = datetime(2026, 10, 1 + day % 28, i % 24, i % 60, tzinfo=UTC).timestamp()
        os.utime(path, (when, when))
