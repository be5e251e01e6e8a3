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

The gateway runs Apache James: the layout is James's (see `james`), with an "Error:" line
first; the failed address is the "RCPT TO:" of the message details.
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import body_text, bounce, message_info
from bouncewatch.parse.formats.james import james_recipients

_DOMAINS = ("vtext.com", "vzwpix.com", "vzw.com", "verizonwireless.com")


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
        recipients = james_recipients(body_text(msg))
        return bounce(recipients) if recipients else None
