"""Wording variants of the non-standard formats, one small message each (the fixture folders
hold whole messages; these pin the layouts seen less often)."""

from __future__ import annotations

import email
from email import policy

import pytest

from bouncewatch.parse.base import Detection
from bouncewatch.parse.registry import FORMAT_DETECTORS

BY_NAME = {d.name: d for d in FORMAT_DETECTORS}


def detect(name: str, text: str) -> Detection | None:
    msg = email.message_from_bytes(text.encode("utf-8"), policy=policy.compat32)
    return BY_NAME[name].detect(msg)


def fields(found: Detection | None) -> list[tuple]:
    assert found is not None
    return [(r.address, r.action, r.status, r.smtp_code) for r in found.recipients]


def test_exchange_ndr_as_outlook_renders_it() -> None:
    found = detect(
        "exchange",
        "From: postmaster@corp.example.com\nSubject: Undeliverable: hello\n\n"
        "Delivery has failed to these recipients or groups:\n\nann@example.org\n"
        "The e-mail address you entered couldn't be found.\n\n"
        "Diagnostic information for administrators:\n\nGenerating server: EX1.corp.example.com\n\n"
        "ann@example.org\n#< #5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found> #SMTP#\n",
    )
    assert fields(found) == [("ann@example.org", "failed", "5.1.1", 550)]
    assert found is not None and found.reporting_mta == "EX1.corp.example.com"


def test_exchange_2010_remote_server_returned() -> None:
    found = detect(
        "exchange",
        "From: postmaster@corp.example.com\nSubject: Undeliverable: hello\n\n"
        "Delivery has failed to these recipients or groups:\n\nbo@example.org\n\n"
        "Diagnostic information for administrators:\n\nGenerating server: EX2.corp.example.com\n\n"
        "bo@example.org\nRemote Server returned '550 5.7.1 Message rejected as spam'\n\n"
        "Original message headers:\n\nReceived: from x by y\n",
    )
    assert fields(found) == [("bo@example.org", "failed", "5.7.1", 550)]


@pytest.mark.parametrize(
    "subject", ["Failure Notice", "failure notice", "Delivery Status Notification"]
)
def test_yahoo_subjects(subject: str) -> None:
    found = detect(
        "yahoo",
        f"From: MAILER-DAEMON@yahoo.com\nSubject: {subject}\n\n"
        "Message from yahoo.com.\nUnable to deliver message to the following address(es).\n\n"
        "<cy@example.org>:\n554: delivery error: dd This user doesn't have a yahoo.com account "
        "(cy@example.org) [0] - mta1000.mail.gq1.yahoo.com\n",
    )
    assert fields(found) == [("cy@example.org", "failed", None, 554)]


def test_yahoo_wording_from_a_renamed_daemon_is_yahoo() -> None:
    """Yahoo's notice is recognised by its wording from any mailer daemon (Yahoo Japan's and
    anonymised senders), but not from an ordinary sender."""
    body = (
        "Subject: Failure Notice\n\n"
        "Sorry, we were unable to deliver your message to the following address.\n\n"
        "<d@example.org>:\nRemote host said: 550 5.1.1 unknown [RCPT_TO]\n"
    )
    found = detect("yahoo", "From: MAILER-DAEMON@mail.example.net\n" + body)
    assert found is not None and [r.address for r in found.recipients] == ["d@example.org"]
    assert detect("yahoo", "From: alice@mail.example.net\n" + body) is None


def test_qmail_without_greeting_line() -> None:
    found = detect(
        "qmail",
        "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<e@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
    )
    assert fields(found) == [("e@example.org", "failed", "5.1.1", None)]


def test_postfix_expanded_alias_entry() -> None:
    found = detect(
        "postfix",
        "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n\n"
        "This is the mail system at host mail.example.com.\n\n"
        "<f@example.org> (expanded from <team@example.com>): host mx.example.org[192.0.2.1]\n"
        "    said: 550 5.1.1 <f@example.org>: User unknown (in reply to RCPT TO command)\n",
    )
    assert fields(found) == [("f@example.org", "failed", "5.1.1", 550)]
    assert found is not None and found.recipients[0].remote_mta == "mx.example.org"


def test_exim_falls_back_to_x_failed_recipients() -> None:
    """An Exim bounce whose text was rewritten: the header still names the recipients."""
    found = detect(
        "exim",
        "From: Mail Delivery System <Mailer-Daemon@mail.example.com>\n"
        "X-Failed-Recipients: g@example.org, h@example.org\nSubject: Mail delivery failed\n\n"
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error.\n",
    )
    assert fields(found) == [
        ("g@example.org", "failed", None, None),
        ("h@example.org", "failed", None, None),
    ]


def test_sendmail_success_notice_is_not_a_failure() -> None:
    found = detect(
        "sendmail",
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.net>\n"
        "Subject: Return receipt\n\n"
        "   ----- The following addresses had successful delivery notifications -----\n"
        "ok@example.org  (relayed to non-DSN-aware mailer)\n\n"
        "   ----- Transcript of session follows -----\n"
        "ok@example.org... relayed; expect no further notifications\n",
    )
    assert fields(found) == [("ok@example.org", "relayed", None, None)]
