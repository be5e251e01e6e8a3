"""The flufl.bounce fallback: the diagnostic next to each address, and the action it implies."""

from __future__ import annotations

import pytest

from bouncewatch.analyze import analyze
from bouncewatch.parse.fallback import _near

TEXT = """The following recipient(s) could not be reached:

ann@example.org
   Error Type: SMTP
   Remote server (10.2.0.14) issued an error.
   Remote server replied: {reply}
"""


def test_the_digits_of_an_ip_address_are_not_a_status() -> None:
    got = _near("ann@example.org", "failed", TEXT.format(reply="550 5.1.1 No such user"))
    assert (got.status, got.smtp_code) == ("5.1.1", 550)
    assert got.diagnostic == "Remote server replied: 550 5.1.1 No such user"


@pytest.mark.parametrize(
    ("guess", "reply", "action"),
    [
        ("delayed", "550 5.7.1 Message content rejected", "failed"),
        ("failed", "452 4.2.2 Mailbox full, try later", "delayed"),
        ("delayed", "Mailbox busy", "delayed"),
        ("failed", "Mailbox busy", "failed"),
    ],
)
def test_the_remote_code_decides_the_action_over_the_heuristic(
    guess: str, reply: str, action: str
) -> None:
    assert _near("ann@example.org", guess, TEXT.format(reply=reply)).action == action


def test_an_address_not_in_the_text_keeps_the_guess() -> None:
    got = _near("bob@example.org", "delayed", TEXT.format(reply="550 5.1.1 No such user"))
    assert (got.action, got.status, got.diagnostic) == ("delayed", None, None)


def test_a_diagnostic_without_any_code_is_the_text_after_the_address() -> None:
    text = "Your message could not be delivered to:\n\nann@example.org: Mailbox unknown here\n"
    got = _near("ann@example.org", "failed", text)
    assert (got.status, got.smtp_code) == (None, None)
    assert got.diagnostic == "Mailbox unknown here"
    # punctuation alone is no diagnostic
    assert _near("ann@example.org", "failed", "ann@example.org: ...\n").diagnostic is None


@pytest.mark.parametrize(
    ("line", "diagnostic"),
    [
        ("User's mailbox is full: <ann@example.org>", "User's mailbox is full"),
        ("To: ann@example.org", None),
    ],
)
def test_a_reason_written_before_the_address_is_its_diagnostic(
    line: str, diagnostic: str | None
) -> None:
    text = f"{line}\nUnable to deliver mail.\n"
    # (a quoted header line names an address without explaining it)
    assert _near("ann@example.org", "failed", text).diagnostic == diagnostic


BOUNCE = """\
From: Mail Router <router@mx.example.net>
To: news@example.com
Subject: Nondeliverable mail
Message-ID: <r.77@mx.example.net>

|------------------------- Failed addresses follow: ---------------------|
 ann@example.org ... unknown user
 <2024.0515.991@mail.example.com>
 news@example.com
|------------------------- Message text follows: ------------------------|
Message-ID: <2024.0515.991@mail.example.com>
From: Example Store <news@example.com>
To: ann@example.org
Subject: Spring sale
"""


def test_message_ids_and_the_original_sender_are_never_recipients() -> None:
    got = analyze(BOUNCE.encode())
    assert got.detector == "flufl"
    assert [r.report.address for r in got.recipients] == ["ann@example.org"]
    assert got.recipients[0].report.diagnostic == "... unknown user"


def test_a_message_sent_to_itself_keeps_its_only_recipient() -> None:
    text = BOUNCE.replace(" ann@example.org ... unknown user\n", "")
    got = analyze(text.encode())
    assert [r.report.address for r in got.recipients] == ["news@example.com"]


def test_older_bounce_subjects_and_senders_reach_the_heuristics() -> None:
    for subject in ("Nondeliverable mail", "Failed mail", "Warning: message delayed"):
        data = BOUNCE.replace("Subject: Nondeliverable mail", f"Subject: {subject}")
        data = data.replace("From: Mail Router <router@mx.example.net>", "From: x@example.net")
        assert analyze(data.encode()).kind == "bounce", subject
    plain = BOUNCE.replace("Subject: Nondeliverable mail", "Subject: Hello")
    plain = plain.replace("From: Mail Router <router@mx.example.net>", "From: x@example.net")
    assert analyze(plain.encode()).kind == "not_bounce"


def test_an_address_in_a_quoted_header_line_has_no_diagnostic_after_it() -> None:
    text = "Original message headers:\nTo: ann@example.org\n  Fri, 28 Apr 2024 23:34:45 -0800\n"
    assert _near("ann@example.org", "failed", text).diagnostic is None
