"""A delivery report forwarded as an attachment is read from inside its wrapper."""

from __future__ import annotations

from bouncewatch.analyze import analyze

REPORT = b"""From: MAILER-DAEMON@mx.example.org
To: news@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn.1@mx.example.org>
Content-Type: multipart/report; report-type=delivery-status; boundary="in"

--in
Content-Type: text/plain

Your message could not be delivered.

--in
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; ann@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user

--in
Content-Type: text/rfc822-headers

From: news@example.com
To: ann@example.org
Message-ID: <sent.1@example.com>

--in--
"""


def wrapper(ctype: bytes, inner: bytes) -> bytes:
    return (
        b"From: Help Desk <help@example.com>\nTo: bounces@example.com\n"
        b"Subject: Fwd: Undelivered Mail Returned to Sender\nMessage-ID: <fwd.1@example.com>\n"
        b'Content-Type: multipart/mixed; boundary="out"\n\n--out\nContent-Type: text/plain\n\n'
        b"See the bounce below.\n\n--out\nContent-Type: " + ctype + b"\n\n" + inner + b"\n--out--\n"
    )


def test_the_forwarded_report_gives_recipients_and_the_sent_message() -> None:
    result = analyze(wrapper(b"message/rfc822", REPORT))
    assert (result.kind, result.detector) == ("dsn", "rfc3464+forwarded")
    assert [(r.report.address, r.report.status) for r in result.recipients] == [
        ("ann@example.org", "5.1.1")
    ]
    assert result.original_message_id == "<sent.1@example.com>"
    assert result.reporting_mta == "mx.example.org"
    assert result.message_id == "<fwd.1@example.com>"  # the message in the mailbox


def test_a_report_that_is_no_delivery_report_is_not_unwrapped() -> None:
    read_receipt = REPORT.replace(b"report-type=delivery-status", b"report-type=x-other")
    result = analyze(wrapper(b"message/rfc822", read_receipt))
    assert not result.detector.endswith("+forwarded")


def test_an_attached_ordinary_message_stays_not_a_bounce() -> None:
    plain = b"From: ann@example.org\nTo: news@example.com\nSubject: hi\n\nHello\n"
    result = analyze(wrapper(b"message/rfc822", plain))
    assert (result.kind, result.recipients) == ("not_bounce", ())
