"""DSNs whose status part has no Diagnostic-Code: the reply is read from the text part."""

from __future__ import annotations

from bouncewatch.analyze import analyze


def opensmtpd_dsn(text_line: str, status: str, action: str = "failed") -> bytes:
    """An OpenSMTPD 6.x style report: the reply only in the human-readable part."""
    return f"""From: Mailer Daemon <MAILER-DAEMON@mail.example.net>
To: newsletter@example.net
Subject: Delivery status notification: error
Message-ID: <dsn-7@mail.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B/mail.example.net"

--B/mail.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

    Hi!

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

{text_line}

    Below is a copy of the original message:

--B/mail.example.net
Content-Description: Delivery Report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.net

Final-Recipient: rfc822; gone@example.com
Action: {action}
Status: {status}

--B/mail.example.net--
""".encode()


GMAIL_REPLY = (
    "550-5.1.1 The email account that you tried to reach does not exist. Please try "
    "double-checking the recipient's email address for typos or unnecessary spaces. "
    "https://support.google.com/mail/?p=NoSuchUser x12si1234567abc.12 - gsmtp"
)


def test_whole_reply_line_becomes_the_diagnostic() -> None:
    result = analyze(opensmtpd_dsn(f"gone@example.com: {GMAIL_REPLY}", "5.0.0"))
    (r,) = result.recipients
    assert r.report.diagnostic == GMAIL_REPLY
    assert (r.report.status, r.report.smtp_code) == ("5.1.1", 550)


def test_closing_brackets_and_full_stop_are_kept() -> None:
    line = "gone@example.com: 551 5.1.6 User has moved; please try <new@example.org>"
    r = analyze(opensmtpd_dsn(line, "5.0.0")).recipients[0].report
    assert r.diagnostic == "551 5.1.6 User has moved; please try <new@example.org>"
    line = "gone@example.com: 554 5.7.1 Message rejected: virus found (Eicar-Test-Signature)."
    r = analyze(opensmtpd_dsn(line, "5.0.0")).recipients[0].report
    assert r.diagnostic == "554 5.7.1 Message rejected: virus found (Eicar-Test-Signature)."
    assert r.status == "5.7.1"


def test_precise_status_is_not_overridden() -> None:
    line = "gone@example.com: 550 5.7.1 <gone@example.com>: Relay access denied"
    r = analyze(opensmtpd_dsn(line, "5.1.1")).recipients[0].report
    assert (r.status, r.action) == ("5.1.1", "failed")


def test_reply_of_another_class_is_not_taken() -> None:
    line = "gone@example.com: 250 2.0.0 Ok: queued as 4Qx001"
    r = analyze(opensmtpd_dsn(line, "5.0.0")).recipients[0].report
    assert (r.status, r.action) == ("5.0.0", "failed")


def test_explanation_without_code_is_still_read() -> None:
    r = analyze(opensmtpd_dsn("gone@example.com: Envelope expired", "4.4.7", "delayed"))
    report = r.recipients[0].report
    assert (report.status, report.diagnostic) == ("4.4.7", "Envelope expired")


def nullmailer_dsn(
    status: str, diagnostic_lines: str, action: str = "failed", message_id: str = ""
) -> bytes:
    """nullmailer style: a Status cut to five characters, reply lines not folded."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mail.example.net>
Message-Id: {message_id or "<dsn-1@mail.example.net>"}
To: newsletter@example.net
Subject: Returned mail: Could not send message
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="N"

--N
Content-Type: message/delivery-status

Reporting-MTA: x-local-hostname; mail.example.net

Final-Recipient: rfc822; spf@example.com
Action: {action}
Status: {status}
Remote-MTA: dns; 127.0.0.1
Diagnostic-Code: SMTP; {diagnostic_lines}

--N--
""".encode()


def test_status_cut_short_is_completed_from_the_reply() -> None:
    r = analyze(nullmailer_dsn("5.7.2", "550 5.7.23 SPF violation")).recipients[0]
    assert r.report.status == "5.7.23"
    r = analyze(nullmailer_dsn("5.1.1", "550 5.7.1 Relay denied")).recipients[0]
    assert r.report.status == "5.1.1"  # another status: the Status field stands


def test_unfolded_reply_lines_stay_in_the_diagnostic() -> None:
    lines = "550-5.7.26 This mail is unauthenticated\n550-5.7.26 and has been\n550 5.7.26 blocked."
    r = analyze(nullmailer_dsn("5.7.2", lines)).recipients[0].report
    assert r.diagnostic == (
        "550-5.7.26 This mail is unauthenticated 550-5.7.26 and has been 550 5.7.26 blocked."
    )
    assert (r.status, r.smtp_code, r.remote_mta) == ("5.7.26", 550, "127.0.0.1")


def test_a_nullmailer_delayed_report_is_its_last_word() -> None:
    nullmailer_id = "<1795405678.992764.30133.nullmailer@mail.example.net>"
    data = nullmailer_dsn("4.7.1", "451 4.7.1 Slow down", "delayed", nullmailer_id)
    r = analyze(data).recipients[0]
    assert (r.report.action, r.classification.bounce_type) == ("delayed", "soft")
    # it gave up: the cause is the receiver's last reply, the give-up is `expired`
    assert (r.classification.reason, r.classification.expired) == ("rate_limited", True)
    other = analyze(nullmailer_dsn("4.7.1", "451 4.7.1 Slow down", "delayed"))
    assert other.recipients[0].classification.reason == "delayed"
