"""MailFoundry returned mail ("Message delivery has failed"):

Unable to deliver message to: <nobody@example.org>
Delivery failed for the following reason:
mx.example.org[192.0.2.222] responded with failure: 550 5.1.1 User unknown

This has been a permanent failure.  No further delivery attempts will be made.
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
from bouncewatch.parse.lazyre import lazy_compile

_ENTRY_RE = lazy_compile(
    r"^Unable to deliver message to:?[ \t]*<?(" + ADDR_RE.pattern + r")>?[ \t]*\n"
    r"(?:Delivery failed for the following reason:[ \t]*\n)?((?:.+\n?)*)",
    re.M,
)
_PEER_RE = lazy_compile(r"^([\w.-]+)\[[0-9A-Fa-f.:]+\] responded with failure:\s*")
_TEMPORARY = "This has been a temporary failure"


class MailFoundryDetector:
    """MailFoundry: "Unable to deliver message to: <…>" + "Delivery failed for the following
    reason:"."""

    name = "mailfoundry"
    title = "MailFoundry"
    description = (
        'Subject "Message delivery has failed"; "Unable to deliver message to: <…>",'
        ' "Delivery failed for the following reason:", "… responded with failure: …"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/MailFoundry.pm (decoder source)"
    screened = True
    needs = ("Delivery failed for the following reason:",)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("message delivery has failed")):
            return None
        text = body_text(msg)
        if "Delivery failed for the following reason:" not in text:
            return None
        action = "delayed" if _TEMPORARY in text else "failed"
        out = []
        for m in _ENTRY_RE.finditer(text):
            reason = " ".join(m.group(2).split())
            peer = _PEER_RE.match(reason)
            remote = peer.group(1).lower() if peer else None
            diagnostic = reason[peer.end() :] if peer else reason
            out.append(report(m.group(1), action, diagnostic or None, remote_mta=remote))
        return bounce(out)
