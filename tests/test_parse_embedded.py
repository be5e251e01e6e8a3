"""Bounces in the wrong shape are read as what they are (parse.embedded, via the registry)."""

from __future__ import annotations

from email import message_from_bytes

import pytest

from bouncewatch.analyze import analyze
from bouncewatch.parse.embedded import candidates, repaired_boundary

DSN_BODY = b"""
--b0undary.1
Content-Type: text/plain

The original message was received at Thu, 5 Mar 2026 03:06:55 +0100

--b0undary.1
Content-Type: message/delivery-status

Reporting-MTA: dns; gate.example.de

Final-Recipient: rfc822; lena@example.de
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <lena@example.de>... User unknown

--b0undary.1--
"""


@pytest.mark.parametrize(
    "subject",
    [
        b"Returned mail: see transcript for details",
        # compat32 hands a header with 8-bit bytes out as an email.header.Header, not a str:
        # the repair copies it all the same (the compiled build checks the types it is given)
        b"Unzustellbar: Bestellbest\xe4tigung",
    ],
    ids=["ascii-subject", "8bit-subject"],
)
def test_a_body_whose_content_type_was_lost_is_read_with_its_own_boundary(
    subject: bytes,
) -> None:
    data = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@gate.example.de>\n"
        b"Subject: " + subject + b"\n" + DSN_BODY
    )
    result = analyze(data)
    assert result.detector == "rfc3464+embedded"
    assert [r.report.address for r in result.recipients] == ["lena@example.de"]
    assert result.recipients[0].report.status == "5.1.1"
    repaired = repaired_boundary(message_from_bytes(data))
    assert repaired is not None
    assert str(repaired["Subject"]).startswith(subject[:25].decode("ascii"))


def test_a_message_that_is_no_bounce_has_nothing_to_repair() -> None:
    msg = message_from_bytes(b"From: alice@example.org\nSubject: hi\n\n--not a boundary\nhi\n")
    assert repaired_boundary(msg) is None
    assert list(candidates(msg)) == []


def test_a_bounce_quoted_by_a_person_is_read_from_the_quote() -> None:
    data = (
        b"From: Bob <bob@example.com>\nSubject: Fwd: Undelivered Mail Returned to Sender\n\n"
        b"FYI\n\n"
        b"> From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
        b"> Subject: Undelivered Mail Returned to Sender\n>\n"
        b"> This is the mail system at host mail.example.com.\n>\n"
        b"> <gone@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1\n"
        b">     <gone@example.org>: Recipient address rejected: User unknown (in reply to\n"
        b">     RCPT TO command)\n"
    )
    result = analyze(data)
    assert result.detector == "postfix+embedded"
    assert [r.report.address for r in result.recipients] == ["gone@example.org"]
    assert result.recipients[0].report.smtp_code == 550


def test_a_report_naming_nobody_is_still_reported_when_nothing_reads_more() -> None:
    data = (
        b"From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n'
        b"--r\nContent-Type: text/plain\n\nDelivery report unavailable\n"
        b"--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
        b"--r--\n"
    )
    result = analyze(data)
    assert result.kind == "dsn" and result.detector == "rfc3464"
    assert result.recipients == ()
    assert result.error is not None and "NoRecipients" in result.error
