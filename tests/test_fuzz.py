"""A short seeded run of tools/fuzz.py: mutated fixtures (bit flips, truncation, MIME nesting,
huge headers, bogus charsets, recipients by the thousand, the pathological shapes) never make
the parser raise, never make a decoder raise inside it, never give a result outside the model.
The long run (a million inputs) is run by hand; see docs/development.md."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import fuzz
import pathological

from bouncewatch.analyze import analyze
from bouncewatch.model import Classification, ParseResult, RecipientReport, RecipientResult

SEED = 20260512
COUNT = 2_000


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, bytes]]:
    return fuzz.load_corpus()


def test_seeded_fuzz_run_finds_no_crash(corpus: list[tuple[str, bytes]]) -> None:
    stats = fuzz.run(COUNT, SEED, corpus)
    assert stats.inputs == COUNT
    assert stats.crashes == [], "\n".join(f"{what}: {why}" for what, why in stats.crashes[:20])


def test_the_same_seed_gives_the_same_inputs(corpus: list[tuple[str, bytes]]) -> None:
    first = list(fuzz.inputs(5, 200, corpus))
    assert first == list(fuzz.inputs(5, 200, corpus))
    assert first != list(fuzz.inputs(6, 200, corpus))


@pytest.mark.parametrize("mutation", list(fuzz.MUTATIONS))
def test_each_mutation_changes_its_input(mutation: str, corpus: list[tuple[str, bytes]]) -> None:
    rng = random.Random(1)
    bodies = [data for _, data in corpus]
    changed = sum(fuzz.MUTATIONS[mutation](data, rng, bodies) != data for _, data in corpus[:50])
    assert changed >= 25


def test_violations_are_found() -> None:
    """The model check is not a rubber stamp: a result outside the vocabulary is reported."""
    bad = ParseResult(
        kind="dsn",
        detector="rfc3464",
        recipients=(
            RecipientResult(
                RecipientReport("u@example.com", "failed", "5.1", 999),
                Classification("hard", "no_such_reason", "status:5.1"),
            ),
        ),
        error="rfc3464: KeyError: 'x'",
    )
    found = " ".join(fuzz.violations(bad))
    for part in ("classification hard/no_such_reason", "status '5.1'", "smtp_code 999", "caught"):
        assert part in found
    good = ParseResult(kind="not_bounce", detector="none")
    assert fuzz.violations(good) == []


# --- what the fuzzer found, pinned --------------------------------------------------------------


def test_returned_headers_nesting_a_thousand_groups_keep_the_bounce() -> None:
    """The standard address parser recursed once per group and raised RecursionError, which
    lost the whole bounce (not_bounce, no recipient)."""
    result = analyze(pathological.returned_to_groups(4_000))
    assert (result.kind, len(result.recipients)) == ("dsn", 1)
    assert result.error is None


def test_a_bogus_charset_in_an_encoded_subject_raises_in_no_decoder() -> None:
    message = (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example\n"
        b"Subject: =?\xff\xfe?Q?Undelivered?=\n\n"
        b"This is the mail system at host mx.example.net.\n\n"
        b"<user@example.com>: host mx.example.com said: 550 5.1.1 unknown user\n"
    )
    result = analyze(message)
    assert fuzz.violations(result) == []
    assert result.error is None or "CharsetError" not in result.error


def test_a_mangled_status_in_an_ses_notification_is_no_status() -> None:
    """A bit flip made "5.1.1" "u.1.1", which the SES decoder passed on as the status."""
    fixture = fuzz.FIXTURES / "formats" / "ses" / "ses-01.eml"
    message = (
        fixture.read_bytes()
        .replace(b'5.1.1","diagnosticCode', b'u.1.1","diagnosticCode')
        .replace(b'"action":"failed"', b'"action":"failde"')
    )
    assert b"u.1.1" in message and b"failde" in message
    result = analyze(message)
    assert result.detector == "ses"
    assert fuzz.violations(result) == []
    assert result.recipients[0].report.status != "u.1.1"
    assert result.recipients[0].report.action == "failed"


@pytest.mark.parametrize("charset", [b"punycode", b"cp1252\x00", b"utf-7"])
def test_an_8bit_quoted_printable_part_under_a_raising_charset_is_still_read(
    charset: bytes,
) -> None:
    """charset=punycode (or a name with a NUL) with 8-bit bytes made the standard library raise
    in get_payload() (errors="replace" notwithstanding), and the RFC 3464 decoder with it; UTF-7
    decoded a lone surrogate ("+2BQ-") that could not be encoded back."""
    message = (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain; charset=" + charset + b"\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n\xdcnzustellbar +2BQ-: 550 5.1.1\n\n"
        b"--B\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mx.example.net\n\n"
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.0.0\n\n--B--\n"
    )
    result = analyze(message)
    assert fuzz.violations(result) == []
    assert (result.detector, len(result.recipients)) == ("rfc3464", 1)


def test_raw_8bit_bytes_in_a_reporting_host_still_give_text() -> None:
    """An Exim text bounce whose From carried a raw 0xB2 byte in the daemon's host name gave
    a reporting_mta with a lone surrogate, which no JSON encoder or database can hold."""
    message = (
        b"X-Failed-Recipients: gone@example.org\n"
        b"From: Mail Delivery System <Mailer-Daemon@mail.example.\xb2net>\n"
        b"To: newsletter@example.net\n"
        b"Subject: Mail delivery failed: returning message to sender\n\n"
        b"This message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\n"
        b"recipients. This is a permanent error. The following address(es) failed:\n\n"
        b"  gone@example.org\n"
        b"    host mx.example.org [192.0.2.7]\n"
        b"    SMTP error from remote mail server after RCPT TO:<gone@example.org>:\n"
        b"    550 5.1.1 <gone@example.\xb2org>: user unknown\n"
    )
    result = analyze(message)
    assert fuzz.violations(result) == []
    line = result.to_json("x")
    assert [r["address"] for r in line["recipients"]] == ["gone@example.org"]
    for rec in line["recipients"]:
        rec["diagnostic"].encode("utf-8")
    assert line["reporting_mta"] == "mail.example.\xb2net"  # the byte read as Latin-1


def test_an_action_read_past_its_field_is_an_action() -> None:
    """A text report whose lines were shuffled put a MIME parameter after "Action: failed";
    the decoder read 'failed boundary="…"' as the action."""
    message = (
        b"From: MAILER-DAEMON@us-west-2.amazonses.com\nTo: bounces@sender.example\n"
        b"X-Mailer: Amazon WorkMail\nSubject: Delivery Status Notification (Failure)\n\n"
        b"An error occurred while trying to deliver the mail to the following recipients:\n"
        b"gone@example.org\n\nTechnical report:\n\n"
        b"Reporting-MTA: dsn; a27-80.smtp-out.us-west-2.amazonses.com\n"
        b'Action: failed boundary="=_x"\nFinal-Recipient: rfc822; gone@example.org\n'
        b"Status: 5.1.1\n"
    )
    result = analyze(message)
    assert result.detector == "workmail"
    assert fuzz.violations(result) == []
    assert [r.report.action for r in result.recipients] == ["failed"]


def test_a_transfer_encoded_status_part_holding_decoded_text_is_read() -> None:
    """A bounce re-read from a text body (pasted, or its boundary repaired) is text already:
    a quoted-printable status part with a non-ASCII character in it made the RFC 3464
    decoder raise UnicodeEncodeError while undoing the transfer encoding."""
    import email

    from bouncewatch.parse.mime import container_text

    msg = email.message_from_string(
        "Content-Type: message/delivery-status\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; gone@example.org\n"
        "Action: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 refus\u00e9 =\n"
        "(policy)\n"
    )
    text = container_text(msg)
    assert "Final-Recipient: rfc822; gone@example.org" in text
    assert "550 5.7.1 refus" in text and "(policy)" in text


def test_a_payload_of_escaped_bytes_and_decoded_characters_gives_its_bytes() -> None:
    """A part re-read from text that had been decoded already holds both escaped 8-bit bytes
    and real characters: reading its bytes raised UnicodeEncodeError in the ARF decoder."""
    import email

    from bouncewatch.parse.bodytext import payload_bytes

    part = email.message_from_string("Content-Type: text/plain\n\nabc")
    part.set_payload("caf\udce9 and caf\u00e9\n")
    assert payload_bytes(part) == b"caf\xe9 and caf\xc3\xa9\n"


def test_message_parts_nested_hundreds_deep_are_read_without_recursion_error() -> None:
    """A bounce whose returned message holds a message/rfc822 part, which holds another, …
    hundreds deep: the standard parser recursed once per level and gave up."""
    depth = 400
    inner = b"".join(b"Content-Type: message/rfc822\n\n" for _ in range(depth))
    message = (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        b"--B\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mx.example.net\n\n"
        b"Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.1\n\n"
        b"--B\n" + inner + b"Subject: hello\n\nbody\n--B--\n"
    )
    result = analyze(message)
    assert fuzz.violations(result) == []
    assert [r.report.address for r in result.recipients] == ["gone@example.org"]
    assert result.error is not None and "MimeNesting" in result.error


def test_a_messaging_server_report_with_an_empty_remote_system_is_read() -> None:
    """A truncated Oracle Messaging Server report ended in "Remote system: dns;": the decoder
    took the word after ";" that was not there (IndexError)."""
    data = fuzz.FIXTURES.joinpath("formats", "messagingserver", "messagingserver-01.eml")
    text = data.read_bytes()
    cut = text.index(b"Remote system: dns;") + len(b"Remote system: dns;")
    result = analyze(text[:cut] + b"\n")
    assert result.detector == "messagingserver"
    assert fuzz.violations(result) == []
    assert [r.report.remote_mta for r in result.recipients] == [None]


def test_a_base64_part_of_escaped_bytes_and_decoded_characters_is_decoded() -> None:
    """The standard library's get_payload(decode=True) raises on a payload holding both
    escaped 8-bit bytes and decoded characters; the ARF decoder went down with it."""
    import base64
    import email

    from bouncewatch.parse.bodytext import payload_bytes

    part = email.message_from_string(
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nabc"
    )
    part.set_payload(base64.b64encode(b"Feedback-Type: abuse\n").decode() + "\n\udce9\u00e9\n")
    assert payload_bytes(part).startswith(b"Feedback-Type: abuse\n")


def test_the_fallback_screen_reads_headers_the_parser_keeps_as_header_objects() -> None:
    """A header with raw 8-bit bytes comes back from Message.values() as a Header object,
    which has no len(): the fallback's oversized-header screen raised TypeError."""
    from bouncewatch.parse.fallback import _oversized_header
    from bouncewatch.parse.lean import read_message

    msg = read_message(b"From: MAILER-DAEMON@mx.example.net\nSubject: caf\xe9 \xff\n\nbody\n")
    assert _oversized_header(msg) is False


def test_escaped_bytes_beside_a_lone_surrogate_are_read() -> None:
    """Text decoded from UTF-7 may hold a lone surrogate that is no escaped byte ("\\ude14")
    beside escaped 8-bit bytes: reading it raised UnicodeEncodeError in the RFC 3464 decoder."""
    from bouncewatch.parse.headers import unescape

    assert unescape("caf\udcc3\udca9") == "café"
    assert unescape("a\ude14b\udce9") == "a\ufffdbé"


@pytest.mark.parametrize("charset", [b"idna", b"punycode"])
def test_an_unsplit_report_under_a_refusing_charset_is_still_read(charset: bytes) -> None:
    """A multipart/report whose boundary never occurs leaves its body one text; with 8-bit
    bytes in it and charset=idna, get_payload() raised UnicodeError in the RFC 3464 decoder."""
    message = (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="NEVER";'
        b" charset=" + charset + b"\n\n"
        b"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; gone@example.org\n"
        b"Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 caf\xe9 unknown\n"
    )
    result = analyze(message)
    assert fuzz.violations(result) == []
    assert result.error is None or "UnicodeError" not in result.error
