"""The registry contract of bouncewatch.parse.formats and the shared helpers in _common."""

from __future__ import annotations

import email
import gc
from email import policy

import pytest

import bouncewatch.parse.formats._common as common
from bouncewatch.parse.base import Detector
from bouncewatch.parse.formats._common import (
    address_blocks,
    body_text,
    from_daemon,
    header,
    join_reply,
    message_info,
    remote_host,
    report,
)
from bouncewatch.parse.registry import FORMAT_DETECTORS


def parse(text: str) -> email.message.Message:
    return email.message_from_bytes(text.encode("utf-8"), policy=policy.compat32)


@pytest.mark.parametrize("detector", FORMAT_DETECTORS, ids=lambda d: d.name)
def test_detector_satisfies_the_protocol(detector: Detector) -> None:
    assert isinstance(detector, Detector)
    assert detector.name == detector.name.lower() and detector.name.isidentifier()
    assert detector.detect(parse("From: a@example.com\n\nhello\n")) is None


def test_names_unique() -> None:
    names = [d.name for d in FORMAT_DETECTORS]
    assert len(names) == len(set(names))


def test_provider_variants_come_before_their_mta() -> None:
    order = [d.name for d in FORMAT_DETECTORS]
    assert order.index("aol") < order.index("sendmail")
    assert order.index("yahoo") < order.index("qmail")


def test_a_personal_message_is_rejected_on_headers_alone() -> None:
    """Header checks reject ordinary mail before any body is decoded, even when the body
    reads like a bounce."""
    msg = parse(
        "From: Alice <alice@example.org>\nTo: bob@example.com\nSubject: lunch\n"
        "Content-Type: text/plain\n\n"
        "This message was created automatically by mail delivery software.\n"
        "Hi. This is the qmail-send program at example.org.\n<x@example.org>:\nno.\n"
    )
    assert [d.name for d in FORMAT_DETECTORS if d.detect(msg)] == []
    assert message_info(msg).text is None


def test_body_text_decodes_base64_and_charset_and_skips_attached_message() -> None:
    msg = parse(
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n"
        "RW1wZuRuZ2VyIHVuYmVrYW5udA0K\n--b\nContent-Type: message/rfc822\n\n"
        "Subject: original\n\nnot part of the report\n--b--\n"
    )
    assert body_text(msg) == "Empfänger unbekannt\n"


def test_body_text_falls_back_to_html() -> None:
    msg = parse(
        "Content-Type: text/html; charset=utf-8\n\n"
        "<html><body><p>Address not found</p><p>Your message wasn&#39;t delivered"
        "</p><style>p{}</style></body></html>\n"
    )
    text = body_text(msg)
    assert "Address not found" in text and "wasn't delivered" in text and "p{}" not in text


def test_body_text_understands_exchange_utf7_charset_name() -> None:
    msg = parse("Content-Type: text/plain; charset=unicode-1-1-utf-7\n\nA +AKM-1 fee\n")
    assert body_text(msg) == "A £1 fee\n"


def test_header_decodes_rfc2047_and_unfolds() -> None:
    msg = parse("Subject: =?utf-8?q?Unzustellbar=3A_Ihr_=C3=9Cberblick?=\n  more\n\n")
    assert header(msg, "Subject") == "Unzustellbar: Ihr Überblick more"
    assert header(msg, "X-Missing") == ""


@pytest.mark.parametrize(
    ("sender", "daemon"),
    [
        ("Mail Delivery System <MAILER-DAEMON@mail.example.com>", True),
        ("postmaster@example.net", True),
        ('"Courier mail server at mail.example.net" <@>', True),
        ("<>", True),
        ("Alice <alice@example.org>", False),
        ("mailer-daemon-fan@example.org", False),
        ("Mail Delivery Subsystem <poostmaster@example.jp>", True),  # misspelt address
        ("MAILER-DAEMON <bounce-7f3a@relay.example.net>", True),
        ("Daemon Fan <mailer-daemon-fan@example.org>", False),
    ],
)
def test_from_daemon(sender: str, daemon: bool) -> None:
    assert from_daemon(parse(f"From: {sender}\n\n")) is daemon


def test_join_reply_merges_multiline_replies() -> None:
    lines = ["550-5.1.1 The email account that you tried to reach does", "550 5.1.1 not exist."]
    assert (
        join_reply(lines) == "550 5.1.1 The email account that you tried to reach does not exist."
    )


def test_remote_host_forms() -> None:
    assert remote_host("host MX.Example.org[192.0.2.1] said: 550") == "mx.example.org"
    assert remote_host("host mx.example.org [192.0.2.1]: 550") == "mx.example.org"
    assert remote_host("... while talking to mx.example.org.:") == "mx.example.org"
    assert remote_host("connect to mx.example.org[192.0.2.1]:25: timed out") == "mx.example.org"
    assert remote_host("no host here") is None


def test_address_blocks_split_on_address_lines() -> None:
    text = "<a@example.org>:\nfirst reason\n\n<b@example.org>:\nsecond\n"
    blocks = address_blocks(text)
    assert [(a, b.strip()) for a, b in blocks] == [
        ("a@example.org", "first reason"),
        ("b@example.org", "second"),
    ]


def test_report_takes_codes_from_diagnostic_unless_given() -> None:
    r = report("<x@example.org>", "failed", "  552 5.2.2\n   mailbox full ")
    assert (r.address, r.status, r.smtp_code, r.diagnostic) == (
        "x@example.org",
        "5.2.2",
        552,
        "552 5.2.2 mailbox full",
    )
    r = report("x@example.org", "failed", "Sorry (#5.1.1)", status="5.1.1", smtp_code=None)
    assert (r.status, r.smtp_code) == ("5.1.1", None)


def test_decoded_text_is_forgotten_with_its_message() -> None:
    msg = parse("From: MAILER-DAEMON@example.com\n\nsome report\n")
    assert body_text(msg) == "some report\n"
    assert message_info(msg).text == "some report\n"
    alive = live_views()
    del msg
    gc.collect()
    assert live_views() == alive - 1


def live_views() -> int:
    """How many decoders' views of messages are alive (other tests' messages may hold some)."""
    gc.collect()
    return sum(isinstance(o, common.MessageInfo) for o in gc.get_objects())
