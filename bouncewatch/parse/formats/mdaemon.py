"""MDaemon (Alt-N / MDaemon Technologies) delivery failure notices.

The attached message had PERMANENT fatal delivery errors!

After one or more unsuccessful delivery attempts the attached message has
been removed from the mail queue on this server. …

--- Session Transcript ---
 Mon 2026-11-23 01:00:00.123: Attempting SMTP connection to [mx.example.org]
 …
 Mon 2026-11-23 01:00:00.501: --> RCPT To:<nobody@example.org>
 Mon 2026-11-23 01:00:00.601: <-- 550 5.1.1 <nobody@example.org>: User unknown
--- End Transcript ---
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    message_info,
    report,
    sender_host,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_PERMANENT = "had PERMANENT fatal delivery errors"
_TRANSCRIPT_RE = lazy_compile(r"--- Session Transcript ---(.*?)(?:--- End Transcript ---|\Z)", re.S)
_LINE_RE = lazy_compile(r"^\s*(?:\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?: )?(.*)$")


def _line(line: str) -> str:
    """A transcript line without its timestamp (`_LINE_RE` matches every line)."""
    m = _LINE_RE.match(line)
    return m.group(1) if m else line


_RCPT_RE = lazy_compile(r"^--> RCPT To:\s*<(" + ADDR_RE.pattern + r")>", re.I)
_TO_RE = lazy_compile(r"^\*\s+To: <?(" + ADDR_RE.pattern + r")>?", re.I)
_HOST_RE = lazy_compile(r"^Attempting SMTP connection to \[([\w.-]+)")


def _transcript(lines: list[str]) -> list[RecipientReport]:
    host = None
    accepted: list[str] = []
    out: list[RecipientReport] = []
    pending: str | None = None
    for line in lines:
        if m := _HOST_RE.match(line):
            host = m.group(1).lower()
        elif m := _RCPT_RE.match(line):
            pending = m.group(1)
        elif line.startswith("<-- ") and pending:
            reply = line[4:]
            if reply[:1] == "2":
                accepted.append(pending)
            else:
                out.append(report(pending, "failed", reply, remote_mta=host))
            pending = None
        elif line.startswith("<-- ") and line[4:5] in ("4", "5") and accepted:
            # refused after the recipients were accepted (end of DATA): all of them failed
            out.extend(report(a, "failed", line[4:], remote_mta=host) for a in accepted)
            accepted = []
    return out


class MDaemonDetector:
    """MDaemon "The attached message had PERMANENT fatal delivery errors!" notices."""

    name = "mdaemon"
    title = "MDaemon"
    description = 'X-MDaemon-Deliver-To / X-MDDSN-Message; "had PERMANENT fatal delivery errors" + session transcript'
    reference = "Sisimai lib/Sisimai/Lhost/MDaemon.pm (decoder source)"
    screened = True
    needs = (_PERMANENT,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        marked = "x-mdaemon-deliver-to" in info.raw or "x-mddsn-message" in info.raw
        if not marked and not info.daemon:
            return None
        text = body_text(msg)
        if _PERMANENT not in text:
            return None
        m = _TRANSCRIPT_RE.search(text)
        lines = [_line(ln) for ln in m.group(1).split("\n")] if m else []
        recipients = _transcript(lines)
        if not recipients:
            tos = [t.group(1) for ln in lines if (t := _TO_RE.match(ln))]
            recipients = [report(a, "failed", None) for a in tos]
        recipients = unique(recipients)
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients, reporting_mta=sender_host(msg))
