"""Apache James bounces (its "notify sender" mailets), Subject "[BOUNCE]", a JavaMail
Message-ID:

    Hi. This is the James mail server at mail.example.org.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    …
    Error message below:
    550 - Requested action not taken: no such user here

    Message details:
      Subject: Spring sale
      Sent date: Thu Apr 29 01:20:50 JST 2026
      MAIL FROM: news@example.com
      RCPT TO: nobody@example.org
      …

The failed addresses are the "RCPT TO:" lines of the message details; the error message is
their diagnostic.  Verizon Wireless's SMS gateway runs James and writes the same layout (an
"Error: …" line first); its decoder shares `james_recipients`.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    bounce,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_DETAILS = "Message details:"
#: "Error: Invalid user address" (Verizon) and/or "Error message below:", then the reply
_ERROR_RE = lazy_compile(
    r"^(?:Error:[ \t]*(.*)\n\s*)?Error message below:[ \t]*\n((?:.+\n)*)|^Error:[ \t]*(.*)$", re.M
)
_RCPT_RE = lazy_compile(r"^[ \t]*RCPT TO:[ \t]*<?(" + ADDR_RE.pattern + r")>?", re.M)


def james_recipients(text: str) -> list[RecipientReport] | None:
    """The "RCPT TO:" addresses of the message details, each with the error message; None
    when the text has no message details."""
    details = text.find(_DETAILS)
    if details < 0:
        return None
    error = _ERROR_RE.search(text, 0, details)
    diagnostic = None
    if error is not None:
        label = (error.group(1) or error.group(3) or "").strip()
        reply = " ".join((error.group(2) or "").split())
        diagnostic = (f"{reply} ({label})" if label else reply) if reply else (label or None)
    return [report(m.group(1), "failed", diagnostic) for m in _RCPT_RE.finditer(text, details)]


class JamesDetector:
    """Apache James: Subject "[BOUNCE]" or a JavaMail Message-ID; "Error message below:" and
    "RCPT TO:" under "Message details:"."""

    name = "james"
    title = "Apache James"
    description = (
        'Subject "[BOUNCE]", a ….JavaMail.… Message-ID or "JAMES SMTP Server"; "Error message'
        ' below:", the failed address as "RCPT TO:" under "Message details:"'
    )
    reference = 'https://james.apache.org/ (AbstractNotify mailet: "Error message below:")'
    screened = False  # sent from the postmaster address with an ordinary-looking subject

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (
            info.subject == "[bounce]"
            or ".JavaMail." in info.raw.get("message-id", "")
            or "JAMES SMTP Server" in info.raw.get("received", "")
        ):
            return None
        recipients = james_recipients(body_text(msg))
        return bounce(recipients) if recipients else None
