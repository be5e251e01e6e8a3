"""analyze as a whole: options, limits, error handling, the registry's contract."""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes
from email.message import Message

from fixture_files import fixture as fixture_path

from bouncewatch.analyze import analyze
from bouncewatch.model import DEFAULT_PARSE_OPTIONS, KINDS, ParseResult
from bouncewatch.parse.base import Detection, Detector
from bouncewatch.parse.registry import DETECTORS, FORMAT_DETECTORS, detect


def fixture(name: str) -> bytes:
    return fixture_path(name).read_bytes()


DSN = b"""From: MAILER-DAEMON@mx.example.net
To: bounces+jo=example.org@mail.example.com
Subject: Undelivered Mail Returned to Sender
Date: Thu, 23 May 2024 10:00:00 +0200
Message-ID: <dsn-1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

failed
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; jo@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 no such user
--B
Content-Type: message/rfc822

From: news@example.com
To: jo@example.org
Message-ID: <orig-1@example.com>
X-Campaign: may-news
List-Id: May news <may.example.com>
X-Mailing: promo-7

BODY
--B--
"""


def test_a_dsn_gives_every_top_level_field() -> None:
    r = analyze(DSN)
    assert (r.kind, r.detector) == ("dsn", "rfc3464")
    assert r.message_id == "<dsn-1@mx.example.net>"
    assert r.subject == "Undelivered Mail Returned to Sender"
    assert r.date == "2024-05-23T08:00:00Z"
    assert r.reporting_mta == "mx.example.net"
    assert r.original_message_id == "<orig-1@example.com>"
    assert r.original_to == ("jo@example.org",)
    assert r.list_source == "may-news"
    assert r.error is None
    (rcpt,) = r.recipients
    assert (rcpt.report.address, rcpt.report.status, rcpt.report.smtp_code) == (
        "jo@example.org",
        "5.1.1",
        550,
    )


def test_list_source_headers_are_tried_in_order_original_first() -> None:
    opts = replace(DEFAULT_PARSE_OPTIONS, list_source_headers=("X-Mailing", "X-Campaign"))
    assert analyze(DSN, opts).list_source == "promo-7"
    opts = replace(DEFAULT_PARSE_OPTIONS, list_source_headers=("List-Id",))
    assert analyze(DSN, opts).list_source == "may.example.com"
    opts = replace(DEFAULT_PARSE_OPTIONS, list_source_headers=("X-Nothing",))
    assert analyze(DSN, opts).list_source is None


def test_list_source_falls_back_to_the_bounce_headers() -> None:
    data = DSN.replace(b"X-Campaign: may-news\n", b"").replace(
        b"List-Id: May news <may.example.com>\n", b""
    )
    data = data.replace(
        b"Message-ID: <dsn-1@mx.example.net>\n",
        b"Message-ID: <dsn-1@mx.example.net>\nX-Campaign: from-bounce\n",
    )
    assert analyze(data).list_source == "from-bounce"


def test_verp_pattern_is_configurable() -> None:
    # the status part names nobody: the recipient can only come from the VERP address
    data = DSN.replace(b"Final-Recipient: rfc822; jo@example.org\n", b"")
    data = data.replace(b"bounces+jo=example.org@", b"b-jo_AT_example.org@")
    assert analyze(data).error is not None
    assert analyze(data).recipients == ()
    opts = replace(
        DEFAULT_PARSE_OPTIONS, verp=re.compile(r"b-(?P<local>[^_]+)_AT_(?P<domain>[^@]+)@")
    )
    r = analyze(data, opts)
    assert r.detector == "rfc3464+verp"
    assert [x.report.address for x in r.recipients] == ["jo@example.org"]
    assert r.error is None
    no_verp = replace(DEFAULT_PARSE_OPTIONS, verp=None)
    assert analyze(data, no_verp).recipients == ()


def test_oversized_message_is_truncated_and_says_so() -> None:
    big = DSN.replace(b"BODY", b"x" * 76 + b"\n") + b"y" * 3_000_000
    assert len(big) > 3_000_000
    full = analyze(big)
    assert full.error is None and full.kind == "dsn"
    cut = analyze(big, replace(DEFAULT_PARSE_OPTIONS, max_bytes=1_000_000))
    assert cut.kind == "dsn"
    assert [x.report.address for x in cut.recipients] == ["jo@example.org"]
    assert cut.error is not None and "Truncated" in cut.error


def test_three_megabyte_attachment_is_parsed() -> None:
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n"
    attachment = line * (3_000_000 // len(line))
    data = DSN.replace(
        b"--B--\n",
        b"--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
        + attachment
        + b"--B--\n",
    )
    r = analyze(data)
    assert r.kind == "dsn" and r.error is None
    assert r.recipients[0].report.status == "5.1.1"


def test_bad_input_never_raises() -> None:
    for data in (b"", b"\x00" * 100, b"\n\n\n", b"From: x\n\n" + bytes(range(256)), b"=?" * 1000):
        r = analyze(data)
        assert isinstance(r, ParseResult)
        assert r.kind in KINDS


def test_wrong_argument_type_is_an_error_not_an_exception() -> None:
    r = analyze(12345)  # type: ignore[arg-type]
    assert r.kind == "not_bounce" and r.detector == "none"
    assert r.error is not None and r.error.startswith("TypeError")


def test_a_bytearray_or_memoryview_reads_as_its_bytes() -> None:
    data = (
        b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail Returned to Sender\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x.example\n\n"
        b"Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    )
    want = analyze(data)
    assert [r.report.address for r in want.recipients] == ["gone@example.org"]
    assert analyze(bytearray(data)) == want
    assert analyze(memoryview(data)) == want


def test_deep_nesting_is_survived() -> None:
    depth = 2000
    head = b"From: MAILER-DAEMON@x.example\nContent-Type: multipart/mixed; boundary=b0\n\n"
    body = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth)
    )
    r = analyze(head + body)
    assert r.kind in KINDS


def test_auto_reply_is_never_a_bounce() -> None:
    for name in ("autoreply-01", "autoreply-05", "autoreply-07"):
        r = analyze(fixture(name))
        assert r.kind == "auto_reply"
        assert all(x.classification.bounce_type == "none" for x in r.recipients)


# --- the registry --------------------------------------------------------------------------------


def test_every_detector_satisfies_the_protocol_and_has_a_unique_name() -> None:
    names = [d.name for d in DETECTORS]
    assert len(names) == len(set(names)), names
    for d in DETECTORS:
        assert isinstance(d, Detector), d
        assert isinstance(d.name, str) and re.fullmatch(r"[a-z0-9_-]+", d.name), d.name
        assert d.detect(message_from_bytes(b"Subject: hello\n\nhi\n")) is None, d.name


def test_registry_order_most_specific_first() -> None:
    names = [d.name for d in DETECTORS]
    assert names[:2] == ["arf", "rfc3464"]
    assert names[-2:] == ["autoreply", "flufl"]
    assert names[2:-2] == [d.name for d in FORMAT_DETECTORS]


class _Crashes:
    name = "crashes"

    def detect(self, msg: Message) -> Detection | None:
        raise ValueError("decoder bug")


class _Finds:
    name = "finds"

    def detect(self, msg: Message) -> Detection | None:
        return Detection(kind="bounce")


def test_a_crashing_detector_is_reported_and_skipped() -> None:
    msg = message_from_bytes(b"Subject: x\n\nbody\n")
    name, found, errors = detect(msg, (_Crashes(), _Finds()))
    assert name == "finds" and found is not None and found.kind == "bounce"
    assert errors == ["crashes: ValueError: decoder bug"]
    name, found, errors = detect(msg, (_Crashes(),))
    assert (name, found) == ("none", None) and len(errors) == 1


def _ses_notification(mail: str) -> bytes:
    body = (
        '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
        '"bounceSubType":"General","bouncedRecipients":[{"emailAddress":"gone@example.org",'
        '"action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 no such user"}],'
        '"timestamp":"2026-11-23T01:00:01.000Z"},"mail":' + mail + "}"
    )
    return (
        "From: AWS Notifications <no-reply@sns.amazonaws.com>\n"
        "To: bounces@example.com\n"
        "Subject: AWS Notification Message\n"
        "Message-ID: <sns-1@email.amazonses.com>\n"
        "Content-Type: text/plain; charset=UTF-8\n\n" + body + "\n"
    ).encode()


def test_ses_original_message_and_list_source_come_from_the_notification() -> None:
    data = _ses_notification(
        '{"messageId":"0100-ses-id","headers":['
        '{"name":"To","value":"Gone <gone@example.org>"},'
        '{"name":"Message-ID","value":"<sent-42@out.example.com>"},'
        '{"name":"List-Id","value":"Autumn offers <autumn.lists.example.com>"}],'
        '"commonHeaders":{"messageId":"<sent-42@out.example.com>"}}'
    )
    options = replace(DEFAULT_PARSE_OPTIONS, list_source_headers=("X-Campaign", "List-Id"))
    result = analyze(data, options)
    assert result.detector == "ses"
    assert result.original_message_id == "<sent-42@out.example.com>"
    assert result.list_source == "autumn.lists.example.com"
    assert result.original_to == ("gone@example.org",)
    assert result.message_id == "<sns-1@email.amazonses.com>"


def test_ses_without_headers_keeps_the_common_message_id() -> None:
    data = _ses_notification('{"commonHeaders":{"messageId":"<sent-43@out.example.com>"}}')
    result = analyze(data)
    assert result.original_message_id == "<sent-43@out.example.com>"
    assert result.list_source is None
    assert result.original_to == ()
