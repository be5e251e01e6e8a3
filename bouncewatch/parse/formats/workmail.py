"""Amazon WorkMail delivery failures: a multipart/mixed message (no multipart/report) whose
text part lists the recipients and then writes the delivery-status fields itself.

    An error occurred while trying to deliver the mail to the following recipients:
    nobody@example.org

    Technical report:

    Reporting-MTA: dsn; a27-80.smtp-out.us-west-2.amazonses.com
    Action: failed
    Final-Recipient: rfc822; nobody@example.org
    Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>... User Unknown
    Status: 5.1.1

Sent from MAILER-DAEMON@<region>.amazonses.com with `X-Mailer: Amazon WorkMail`.
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    body_text,
    embedded_dsn,
    message_info,
    report,
)

_START = "An error occurred while trying to deliver the mail to the following recipient"
_REPORT = "Technical report:"


class WorkMailDetector:
    """Amazon WorkMail: "An error occurred while trying to deliver the mail…" + report."""

    name = "workmail"
    title = "Amazon WorkMail"
    description = (
        'X-Mailer "Amazon WorkMail" or an amazonses.com daemon; "An error occurred while trying'
        ' to deliver the mail to the following recipients:" + "Technical report:" fields'
    )
    reference = "https://docs.aws.amazon.com/workmail/latest/adminguide/ (Amazon WorkMail)"
    screened = True
    needs = (_START,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        mailer = info.raw.get("x-mailer", "") + info.raw.get("x-original-mailer", "")
        if "workmail" not in mailer.lower() and not info.sender.endswith("amazonses.com"):
            return None
        text = body_text(msg)
        start = text.find(_START)
        if start < 0:
            return None
        at = text.find(_REPORT, start)
        reporting, recipients = embedded_dsn(text[at:]) if at >= 0 else (None, [])
        if not recipients:  # the list of addresses only
            listed = text[start : at if at >= 0 else None]
            recipients = [report(m.group(1), "failed", None) for m in ADDR_LINE_RE.finditer(listed)]
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients, reporting_mta=reporting)
