""" "There was an error sending your mail" notices (an MTA that does not name itself):

    We had trouble delivering your message. Full details follow:

    Subject: 'Spring sale'
    Date: 'Thu, 29 Apr 2026 23:34:45 +0000'

    1 error(s):

    SMTP Server <mx.example.org> rejected recipient <nobody@example.org> (Error following RCPT
    command). It responded as follows: [550 5.1.1 User unknown]

or "The following recipients returned permanent errors: nobody@example.org."; the original
headers come as a text attachment ("mailheaders-….txt").
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
)
from bouncewatch.parse.lazyre import lazy_compile

_START = "We had trouble delivering your message."
_END = "The attachment contains the original mail headers"
_SERVER_RE = lazy_compile(
    r"SMTP Server <([\w.-]+)> rejected recipient <(" + ADDR_RE.pattern + r")>"
    r"\s*\(Error following ([A-Z ]+?) command\)\.?\s*"
    r"(?:It responded as follows:\s*\[(.*?)\])?",
    re.S,
)
_PERMANENT_RE = lazy_compile(
    r"^The following recipients returned permanent errors:\s*(" + ADDR_RE.pattern + r")", re.M
)


class TroubleNoticeDetector:
    """ "We had trouble delivering your message. Full details follow:"."""

    name = "troublenotice"
    title = '"There was an error sending your mail" notices'
    description = (
        'Subject "There was an error sending your mail"; "We had trouble delivering your'
        ' message", "SMTP Server <…> rejected recipient <…> … It responded as follows: […]"'
    )
    reference = 'Sisimai lib/Sisimai/Lhost/X6.pm (decoder source, "Unknown MTA #6")'
    screened = True
    needs = (_START,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("there was an error sending your mail")):
            return None
        text = body_text(msg)
        start = text.find(_START)
        if start < 0:
            return None
        section = cut(text[start:], _END)
        out = []
        for m in _SERVER_RE.finditer(section):
            reply = " ".join((m.group(4) or "").split())
            diagnostic = f"{reply} (in reply to {m.group(3)} command)" if reply else None
            out.append(report(m.group(2), "failed", diagnostic, remote_mta=m.group(1).lower()))
        for m in _PERMANENT_RE.finditer(section):
            out.append(report(m.group(1), "failed", None))
        return bounce(out)
