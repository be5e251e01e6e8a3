"""Kerio Connect "Undelivered mail:" reports (multipart/mixed, no delivery-status part):

    Your message did not reach some or all of the intended recipients.
    …
    The following recipient(s) could not be reached:

    nobody@example.org
       Error Type: SMTP
       Remote server (192.0.2.14) issued an error.
       hop count: 1
       Remote server replied: 550 5.1.1 <nobody@example.org>... User unknown

Each address is followed by its own "Error Type" block; the remote reply is its diagnostic
(the block itself when the error is Kerio's own).
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    address_blocks,
    body_text,
    bounce,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_START = "The following recipient(s) could not be reached:"
_REPLIED_RE = lazy_compile(r"^[ \t]*Remote server replied:[ \t]*(.*)$", re.M)
_SERVER_RE = lazy_compile(r"Remote server \(([^)\s]+)\) issued an error")
_MARKER = "Error Type:"


class KerioDetector:
    """Kerio Connect: "could not be reached:" + per-address "Error Type:" blocks."""

    name = "kerio"
    title = "Kerio Connect"
    description = (
        '"The following recipient(s) could not be reached:", then each address with its'
        ' "Error Type:" block and "Remote server replied: …"'
    )
    reference = "https://manuals.gfi.com/en/kerio/connect/content/ (Kerio Connect)"
    screened = True
    needs = (_START,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("undelivered mail")):
            return None
        text = body_text(msg)
        start = text.find(_START)
        if start < 0 or _MARKER not in text:
            return None
        out = []
        for address, block in address_blocks(text[start + len(_START) :], ADDR_LINE_RE):
            block = block.split("\n-", 1)[0]
            if _MARKER not in block:
                continue
            replied = _REPLIED_RE.search(block)
            diagnostic = replied.group(1) if replied else " ".join(block.split())
            server = _SERVER_RE.search(block)
            remote = server.group(1).lower() if server else None
            out.append(report(address, "failed", diagnostic, remote_mta=remote))
        return bounce(out)
