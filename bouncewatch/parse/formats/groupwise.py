"""Novell / Micro Focus GroupWise Internet Agent (GWIA) undeliverable notices.

Subject: Message status - undeliverable

The message that you sent was undeliverable to the following:
        nobody@example.org (user not found)
        someone@example.net (host not found)

Possibly truncated original message follows:
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    between,
    body_text,
    cut,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_START = "The message that you sent was undeliverable to the following:"
_ENDS = ("Possibly truncated original message follows", "\n\n")
_ENTRY_RE = lazy_compile(r"^\s+<?(" + ADDR_RE.pattern + r")>?\s*(?:\((.*)\))?\s*$", re.M)


class GroupWiseDetector:
    """GroupWise "Message status - undeliverable" notices."""

    name = "groupwise"
    title = "Novell / Micro Focus GroupWise"
    description = 'Subject "Message status - undeliverable" or X-Mailer GroupWise'
    reference = "https://www.microfocus.com/documentation/groupwise/ (GroupWise Internet Agent)"
    screened = True
    needs = (_START,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if (
            not info.subject.startswith("message status - undeliverable")
            and "groupwise" not in info.raw.get("x-mailer", "").lower()
        ):
            return None
        section = between(body_text(msg), _START)
        if not section:
            return None
        section = cut(section.lstrip("\n"), *_ENDS)
        recipients = unique(
            report(m.group(1), "failed", m.group(2)) for m in _ENTRY_RE.finditer(section)
        )
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
