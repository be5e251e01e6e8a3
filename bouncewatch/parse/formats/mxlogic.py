"""McAfee MXLogic (SaaS email protection) bounces: Exim's wording, with each failed address
and the remote reply on one line, and only the original headers quoted:

    This message was created automatically by mail delivery software.

    A message that you have sent could not be delivered to one or more
    recipients.  This is a permanent error.  The following address failed:

      <nobody@example.jp>: 550 5.1.1 <nobody@example.jp>: Recipient address rejected

    Included is a copy of the message header:

Recognised by its `X-MX-Bounce` / `X-MXL-NoteHash` headers or an "mxl" daemon host.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    bounce,
    cut,
    message_info,
    report,
    sender_host,
)
from bouncewatch.parse.lazyre import lazy_compile

_FAILED_RE = lazy_compile(r"The following address(?:es)? failed:", re.S)
_LINE_RE = lazy_compile(r"^[ \t]+<?(" + ADDR_RE.pattern + r")>?:?[ \t]*(.*)$", re.M)
_ENDS = ("Included is a copy of the message header", "------ This is a copy")


class MxLogicDetector:
    """McAfee MXLogic: X-MX-Bounce / X-MXL-NoteHash, "  <address>: reply" lines."""

    name = "mxlogic"
    title = "McAfee MXLogic"
    description = (
        'X-MX-Bounce or X-MXL-NoteHash headers (or an mxl… daemon); "The following address'
        ' failed:" and "  <address>: reply" lines'
    )
    reference = "Sisimai lib/Sisimai/Lhost/MXLogic.pm (decoder source)"
    screened = True
    needs = ("The following address",)  # what its first pattern starts with

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        host = sender_host(msg) or ""
        if not (
            "x-mx-bounce" in info.raw
            or "x-mxl-notehash" in info.raw
            or (info.daemon and host.startswith("mxl"))
        ):
            return None
        text = body_text(msg)
        failed = _FAILED_RE.search(text)
        if failed is None:
            return None
        section = cut(text[failed.end() :], *_ENDS)
        return bounce(
            (
                report(m.group(1), "failed", m.group(2).strip() or None)
                for m in _LINE_RE.finditer(section)
            ),
            reporting_mta=host or None,
        )
