"""Lotus / IBM / HCL Domino delivery failure reports.

    Subject: DELIVERY FAILURE: User nobody (nobody@example.com) not listed in Domino Directory

    Your message

      Subject: Hello

    was not delivered to:

      nobody@example.com

    because:

      User nobody (nobody@example.com) not listed in Domino Directory

Older releases say "… not listed in public Name & Address Book"; relay failures read
"Error transferring to mx.example.org; SMTP Protocol Returned a Permanent Error 550 …".
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

_SUBJECTS = ("delivery failure", "delivery_failure", "delivery report")
_ENTRY_RE = lazy_compile(
    r"was not delivered to:\s*\n(.*?)\n\s*because:\s*\n(.*?)(?:\n[ \t]*\n|\Z)", re.S
)
_TRANSFER_RE = lazy_compile(r"Error transferring to ([\w.-]+?)\.?;")


def _is_domino(msg: Message) -> bool:
    info = message_info(msg)
    if info.subject.startswith(_SUBJECTS):
        return True
    return "x-mimetrack" in info.raw and "x-notes-item" in info.raw


class DominoDetector:
    """Domino "DELIVERY FAILURE" reports ("was not delivered to: … because: …")."""

    name = "domino"
    title = "Lotus / IBM / HCL Domino"
    description = 'Subject "DELIVERY FAILURE…"; "was not delivered to: … because: …"'
    reference = (
        "https://help.hcl-software.com/domino/ (Domino Administrator: delivery failure reports)"
    )
    screened = True
    needs = ("was not delivered to:",)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not _is_domino(msg):
            return None
        text = body_text(msg)
        if "was not delivered to:" not in text:
            return None
        recipients = []
        for m in _ENTRY_RE.finditer(text):
            reason = m.group(2)
            found = ADDR_RE.search(m.group(1)) or ADDR_RE.search(reason)
            if not found:
                continue
            host = _TRANSFER_RE.search(reason)
            recipients.append(
                report(found.group(0), "failed", reason, remote_mta=host and host.group(1).lower())
            )
        recipients = unique(recipients)
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
