"""Postfix's plain-text bounce report, for the old releases that attached no DSN part and
for reports whose message/delivery-status was stripped on the way.

    This is the mail system at host mail.example.com.      (old: "This is the Postfix
    …                                                       program at host …")
    <nobody@example.org>: host mx.example.org[192.0.2.25] said: 550 5.1.1
        <nobody@example.org>: Recipient address rejected: User unknown (in reply to RCPT
        TO command)

"Delayed Mail (still being retried)" warnings ("THIS IS A WARNING ONLY") are delays.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    cut,
    find_first,
    message_info,
    remote_host,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_STARTS = ("This is the mail system at host ", "This is the Postfix program at host ")
_WARNING = "THIS IS A WARNING ONLY"
_SUCCESS = "Your message was successfully delivered to the destination"
#: "delivery via mx.example.org[192.0.2.1]:25: 250 2.0.0 Ok" / "delivery via local: delivered …"
_VIA_RE = lazy_compile(r"delivery via [\w.-]+(\[[0-9A-Fa-f.:]+\](?::\d+)?)?: (.*)")
_ENDS = ("\n--", "Reporting-MTA:", "Final-Recipient:")
#: "<addr>: text" or "<addr> (expanded from <alias>): text", continued by indented lines.
#: (the local part may be quoted: <"first..last"@example.org>; the line may be indented)
_ENTRY_RE = lazy_compile(
    r"^[ \t]?<(" + ADDR_RE.pattern + r'|"[^"\n]+"@[\w.-]+)>'
    r"(?: \(expanded from\s+<[^>]*>\))?: (.*(?:\n(?:[ \t]{2,}|\t).*)*)",
    re.M,
)
_SAID_RE = lazy_compile(r"\bsaid: ")
_IN_REPLY = "(in reply to "
_HOST_RE = lazy_compile(r"at host ([\w.-]+?)\.?$", re.M)


def _reply_tail(text: str) -> int | None:
    """Where a closing "(in reply to RCPT TO command)" starts, blanks before it included.

    Two searches from the end rather than a regex ending in "[^)]*\\)\\s*$", which rescans the
    rest of the text from every "(in reply to" that is not closed."""
    end = len(text.rstrip())
    if end == 0 or text[end - 1] != ")":
        return None
    opening = text.find(_IN_REPLY, text.rfind(")", 0, end - 1) + 1, end)
    return None if opening < 0 else len(text[:opening].rstrip())


def postfix_recipients(text: str, action: str) -> list[RecipientReport]:
    out = []
    for m in _ENTRY_RE.finditer(text):
        body = " ".join(m.group(2).split())
        said = _SAID_RE.search(body)
        if said is not None:
            rest = body[said.end() :]
            tail = _reply_tail(rest)
            diagnostic = rest[:tail] if tail is not None else rest.rstrip()
        else:
            tail = _reply_tail(body)
            diagnostic = body[:tail] if tail is not None else body
        how = action
        if action == "delivered":  # success notice: handed to another server, or stored here
            via = _VIA_RE.match(body)
            if via:
                diagnostic = via.group(2)
                how = "relayed" if via.group(1) else "delivered"
        out.append(report(m.group(1), how, diagnostic, remote_mta=remote_host(body)))
    return unique(out)


class PostfixDetector:
    """Postfix "Undelivered Mail Returned to Sender" / "Delayed Mail" without a DSN part."""

    name = "postfix"
    title = "Postfix (no DSN part)"
    description = 'MAILER-DAEMON; "This is the mail system at host …" / "This is the Postfix program at host …"'
    reference = "https://www.postfix.org/bounce.5.html"
    screened = True
    needs = _STARTS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not message_info(msg).daemon:
            return None
        text = body_text(msg)
        start = find_first(text, _STARTS)
        if start < 0:
            return None
        action = "delayed" if _WARNING in text else "failed"
        if _SUCCESS in text:
            action = "delivered"
        recipients = postfix_recipients(cut(text[start:], *_ENDS), action)
        if not recipients:
            return None
        m = _HOST_RE.search(text, start)
        return Detection(kind="bounce", recipients=recipients, reporting_mta=m and m.group(1))
