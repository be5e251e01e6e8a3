"""m-FILTER (Digital Arts) failure notices: `X-Mailer: m-FILTER`, Subject "failure notice",
a Japanese paragraph, the failed addresses one a line, then dashed sections.

    kijitora@example.co.jp
    -------server message
    550 5.1.1 <kijitora@example.co.jp>: Recipient address rejected: User unknown
    -------SMTP command
    RCPT
    -------original message          (or "-------original mail info")

One server message explains every address listed above it; the SMTP command it answered is
kept in the diagnostic.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    body_text,
    join_reply,
    message_info,
    quoted_headers,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_SERVER = "-------server message"
_COMMAND = "-------SMTP command"
_ORIGINAL = "-------original message"
_SECTION_RE = lazy_compile(r"^-------[a-zA-Z ]+$", re.M)


class MFilterDetector:
    """m-FILTER: "-------server message" / "-------SMTP command" sections."""

    name = "mfilter"
    title = "m-FILTER (Digital Arts)"
    description = (
        'X-Mailer "m-FILTER" or Subject "failure notice"; addresses one a line, then'
        ' "-------server message" and "-------SMTP command"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/mFILTER.pm (decoder source)"
    screened = True
    needs = (_SERVER,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        mailer = info.raw.get("x-mailer", "").lower()
        if "m-filter" not in mailer and not info.subject.startswith("failure notice"):
            return None
        text = body_text(msg)
        at = text.find(_SERVER)
        if at < 0:
            return None
        addresses = [m.group(1) for m in ADDR_LINE_RE.finditer(text, 0, at)]
        if not addresses:
            return None
        after = text[at + len(_SERVER) :]
        nxt = _SECTION_RE.search(after)
        reply = [
            line for line in after[: nxt.start() if nxt else None].splitlines() if line.strip()
        ]
        diagnostic = join_reply(reply) if reply else None
        command = None
        cmd_at = after.find(_COMMAND)
        if cmd_at >= 0:
            rest = after[cmd_at + len(_COMMAND) :].strip().splitlines()
            command = rest[0].strip() if rest and not rest[0].startswith("---") else None
        if diagnostic and command:
            diagnostic = f"{diagnostic} (in reply to {command} command)"
        recipients = unique(report(a, "failed", diagnostic) for a in addresses)
        original = after.find(_ORIGINAL)
        extra = {}
        if original >= 0:
            quoted = after[original:].partition("\n")[2]
            extra = {"original_headers": quoted_headers(quoted)}
        return Detection(kind="bounce", recipients=recipients, extra=extra)
