"""Which SMTP command a refusal answered, as the reporting MTA words it."""

from __future__ import annotations

import pytest

from bouncewatch.smtp.command import command_near, smtp_command


@pytest.mark.parametrize(
    ("text", "command"),
    [
        # Postfix, the phrase folded over two lines as its bounce(8) writes it
        (
            "<a@example.org>: host mx[192.0.2.1] said: 550 5.1.1 User unknown (in reply to\n"
            "    RCPT TO command)",
            "RCPT",
        ),
        ("550 Unknown user a@example.org (in reply to end of DATA command)", "DATA"),
        ("553 5.1.7 Sender rejected (in reply to MAIL FROM command)", "MAIL"),
        # Exim
        (
            "SMTP error from remote mail server after RCPT TO:<a@example.org>:\n"
            "    host mx [192.0.2.1]: 550 5.1.1 User unknown",
            "RCPT",
        ),
        ("SMTP error from remote mail server after end of data:\n    554 5.7.1 spam", "DATA"),
        ("SMTP error from remote mail server after pipelined MAIL FROM:<n@example.net>", "MAIL"),
        ("SMTP error from remote mail server after initial connection: 554 go away", "CONN"),
        # Sendmail / Courier transcripts
        (">>> RCPT To:<a@example.org>\n<<< 550 5.1.1 <a@example.org>... User unknown", "RCPT"),
        (">>> .\n<<< 554 5.7.1 Message rejected as spam", "DATA"),
        (">>> DATA\n<<< 550 Unknown user a@example.jp\n554 5.0.0 Service unavailable", "DATA"),
        # with PIPELINING, Sendmail prints a RCPT refusal after ">>> DATA", followed by its
        # summary of the refused recipient: the refusal answered the RCPT TO, not DATA
        (
            ">>> DATA\n<<< 550-5.2.1 The account is disabled.\n<<< 550 5.2.1 More text\n"
            "550 5.1.1 a@example.com... User unknown",
            None,
        ),
        # qmail
        ("Connected to 192.0.2.225 but sender was rejected.\nRemote host said: 553 sorry", "MAIL"),
        ("Connected to 192.0.2.112 but my name was rejected.\nRemote host said: 501 5.0.0", "HELO"),
        ("192.0.2.25 does not like recipient.\nRemote host said: 550 5.2.1 User unknown", "RCPT"),
        ("192.0.2.25 does not like sender.\nRemote host said: 553 sorry", "MAIL"),
        ("192.0.2.25 failed after I sent the message.\nRemote host said: 554 spam", "DATA"),
        ("550 5.1.1 <a@example.org>... User unknown", None),
        (None, None),
    ],
)
def test_the_refused_command(text: str | None, command: str | None) -> None:
    assert smtp_command(text) == command


TRANSCRIPTS = """\
... while talking to mx.example.org.:
>>> RCPT To:<ann@example.org>
<<< 550 5.2.1 <ann@example.org>... User unknown

... while talking to mx.example.net.:
>>> .
<<< 554 5.7.1 <bob@example.net>... User unknown
"""


@pytest.mark.parametrize(
    ("address", "command"),
    [("ann@example.org", "RCPT"), ("BOB@example.net", "DATA"), ("carol@example.com", None)],
)
def test_the_command_of_each_recipients_paragraph(address: str, command: str | None) -> None:
    assert command_near(TRANSCRIPTS, address) == command
