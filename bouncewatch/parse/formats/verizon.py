"""Verizon Wireless (vtext.com / vzwpix.com) SMS/MMS gateway failures, from
post_master@vtext.com, Subject "Re:<original subject>":

    Error: Invalid user address
    Error message below:
    550 - Requested action not taken: no such user here

    Message details:
      Subject: Spring sale
      …
      MAIL FROM: news@example.com
      RCPT TO: 2125550100@vtext.com

The failed address is the "RCPT TO:" of the message details; the error and its message are
its diagnostic.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    bounce,
    message_info,
    report,
)

_DOMAINS = ("vtext.com", "vzwpix.com", "vzw.com", "verizonwireless.com")
_ERROR_RE = re.compile(r"^Error:[ \t]*(.*)\n\s*(?:Error message below:\n)?((?:.+\n)*)", re.M)
_RCPT_RE = re.compile(r"^[ \t]*RCPT TO:[ \t]*<?(" + ADDR_RE.pattern + r")>?", re.M)
_DETAILS = "Message details:"


class VerizonDetector:
    """Verizon Wireless: "Error: …" / "Error message below:" / "RCPT TO: …"."""

    name = "verizon"
    title = "Verizon Wireless SMS/MMS gateway (vtext.com)"
    description = (
        'From post_master@vtext.com (or another Verizon Wireless domain); "Error: …",'
        ' "Error message below:", and the failed address as "RCPT TO:" under "Message details:"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/Verizon.pm (decoder source)"
    screened = False  # From post_master@ and Subject "Re:…": nothing looks like a bounce

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.sender.endswith(_DOMAINS):
            return None
        text = body_text(msg)
        details = text.find(_DETAILS)
        if details < 0:
            return None
        error = _ERROR_RE.search(text, 0, details)
        diagnostic = None
        if error is not None:
            reply = " ".join(error.group(2).split())
            diagnostic = f"{reply} ({error.group(1).strip()})" if reply else error.group(1)
        return bounce(
            report(m.group(1), "failed", diagnostic) for m in _RCPT_RE.finditer(text, details)
        )
