"""Cisco Secure Email / IronPort AsyncOS bounces sent without DSN format (a bounce-profile
setting).

    The following message to <nobody@example.org> was undeliverable.
    The reason for the problem:
    5.1.0 - Unknown address error 550-'5.1.1 <nobody@example.org>: Recipient address
    rejected: User unknown in virtual alias table'

The leading code is AsyncOS's own category; the receiving server's reply, when there was
one, follows quoted after its reply code, and its status is the one reported.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.parse.text import extract_status

_MARK = "was undeliverable."
_ENTRY_RE = lazy_compile(
    r"The following message to <(" + ADDR_RE.pattern + r")> was undeliverable\.\s*\n"
    r"The reason for the problem:\s*\n(.+?)(?:\n\s*\n|\Z)",
    re.S,
)
_QUOTED_RE = lazy_compile(r"\b([245][0-9][0-9])[ -]'(.*)'", re.S)


class IronPortDetector:
    """IronPort "The following message to <…> was undeliverable." notices."""

    name = "ironport"
    title = "Cisco IronPort (non-DSN bounce profile)"
    description = 'MAILER-DAEMON; "The following message to <…> was undeliverable."'
    reference = "https://www.cisco.com/c/en/us/support/security/email-security-appliance/products-user-guide-list.html (bounce profiles)"
    screened = True
    needs = (_MARK,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not message_info(msg).daemon:
            return None
        text = body_text(msg)
        if _MARK not in text:
            return None
        recipients = []
        for m in _ENTRY_RE.finditer(text):
            reason = " ".join(m.group(2).split())
            quoted = _QUOTED_RE.search(reason)
            status = extract_status(quoted.group(2)) if quoted else None
            recipients.append(
                report(
                    m.group(1),
                    "failed",
                    reason,
                    status=status or extract_status(reason),
                    smtp_code=int(quoted.group(1)) if quoted else None,
                )
            )
        recipients = unique(recipients)
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
