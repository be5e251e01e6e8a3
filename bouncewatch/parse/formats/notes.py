"""Lotus Notes SMTP MTA (Lotus SMTP MTA / Notes 4-era gateways) undeliverable messages, text
only, Subject "Undeliverable message":

    ------- Failure Reasons  --------
    User not listed in public Name & Address Book
    nobody@example.co.jp
    ------- Returned Message --------

The reason lines come before the address (a Japanese gateway writes them in Japanese); with
several addresses, each one's reason is the text since the previous address.  Newer Domino
servers write "DELIVERY FAILURE" reports, read by the `domino` decoder.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    body_text,
    message_info,
    quoted_headers,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_START_RE = lazy_compile(r"^-+ Failure Reasons +-+[ \t]*$", re.M)
_START = "- Failure Reasons "
_END_RE = lazy_compile(r"^-+ Returned Message +-+[ \t]*$", re.M)


class NotesDetector:
    """Lotus Notes: "------- Failure Reasons --------" … "------- Returned Message --------"."""

    name = "notes"
    title = "Lotus Notes SMTP MTA"
    description = (
        'Subject "Undeliverable message"; "------- Failure Reasons --------", reasons and'
        ' addresses, "------- Returned Message --------"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/Notes.pm (decoder source)"
    screened = True
    needs = (_START,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("undeliverable message")):
            return None
        text = body_text(msg)
        if _START not in text:  # what _START_RE needs, found without the regex
            return None
        start = _START_RE.search(text)
        if start is None:
            return None
        end = _END_RE.search(text, start.end())
        section = text[start.end() : end.start() if end else None]
        out = []
        previous = 0
        for m in ADDR_LINE_RE.finditer(section):
            reason = " ".join(section[previous : m.start()].split())
            out.append(report(m.group(1), "failed", reason or None))
            previous = m.end()
        recipients = unique(out)
        if not recipients:
            return None
        extra = {"original_headers": quoted_headers(text[end.end() :])} if end else {}
        return Detection(kind="bounce", recipients=recipients, extra=extra)
