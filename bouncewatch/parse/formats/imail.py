"""Ipswitch IMail Server ("X-Mailer: <SMTP32 v8.22>") undeliverable notices.

    Subject: Undeliverable Mail

    Unknown user: nobody@example.org

    Original message follows.

Other first lines: "User mailbox exceeds allowed size: …", "Delivery failed 3 attempts: …".
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    cut,
    join_reply,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_END = "Original message follows"
_LINE_RE = lazy_compile(
    r"^\s*((?:Unknown user|User mailbox exceeds allowed size|Delivery failed \d+ attempts?"
    r"|Delivery userid|Undeliverable to)[^:\n]*?)(?::[ \t]*|[ \t]+)<?("
    + ADDR_RE.pattern
    + r")>?\s*$",
    re.M | re.I,
)
_REPLY_RE = lazy_compile(r"^.*\b[245][0-9][0-9][ -].*$", re.M)
_CONTINUED_RE = lazy_compile(r"^[ \t]*[245][0-9][0-9][ -]")


class IMailDetector:
    """IMail (SMTP32) "Undeliverable Mail" notices."""

    name = "imail"
    title = "Ipswitch IMail"
    description = 'X-Mailer `<SMTP32 v…>`; "Unknown user:", "User mailbox exceeds allowed size:"'
    reference = "Sisimai lib/Sisimai/Lhost/IMailServer.pm (decoder source)"
    screened = True

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.raw.get("x-mailer", "").lstrip().startswith("<SMTP32 v"):
            return None
        text = cut(body_text(msg), _END)
        matches = list(_LINE_RE.finditer(text))
        recipients = []
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            reply = _REPLY_RE.search(text, m.end(), end)
            if reply:  # the whole reply: "550-…" continuation lines up to "550 …"
                lines = [reply.group(0)]
                for line in text[reply.end() : end].split("\n")[1:]:
                    if not _CONTINUED_RE.match(line):
                        break
                    lines.append(line)
                diagnostic = join_reply(lines)
            else:
                diagnostic = m.group(1)
            recipients.append(report(m.group(2), "failed", diagnostic))
        recipients = unique(recipients)
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
