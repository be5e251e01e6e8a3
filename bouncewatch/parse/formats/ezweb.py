"""au (KDDI) EZweb returned mail, from Postmaster@ezweb.ne.jp / Postmaster@au.com with the
Subject "Mail System Error - Returned Mail": a Japanese paragraph, then English.

    Each of the following recipients was rejected by a remote
    mail server.
        Recipient: <nobody@example.org>
        >>> RCPT TO:<nobody@example.org>
        <<< 550 <nobody@example.org>: User unknown

or a sentence saying why, then "<address>: reply" or the bare "<address>":

    The user(s) account is temporarily over quota.

    <nobody@ezweb.ne.jp>: 552 mailbox full (in reply to RCPT TO command)

The SMTP command the reply answered is kept in the diagnostic (">>> MAIL FROM:<…>" means
the sender was refused, not the recipient).
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
    join_reply,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.smtp.command import smtp_command

_SUBJECT = "mail system error - returned mail"
_DOMAINS = ("ezweb.ne.jp", "au.com")
_STARTS = ("Each of the following", "The user(s) ", "Your message ")
_ENDS = ("\n--------------------------------------------------", "Content-Type: message/rfc822")
#: "    Recipient: <addr>" (transcript layout) or "<addr>" / "<addr>: reply" at a line start
_RCPT_RE = lazy_compile(
    r"^(?:[ \t]+Recipient:[ \t]*)?<(" + ADDR_RE.pattern + r")>:?[ \t]*(.*)$", re.M
)


def ezweb_recipients(text: str) -> list[RecipientReport]:
    matches = list(_RCPT_RE.finditer(text))
    if not matches:
        return []
    why = " ".join(
        line.strip()
        for line in text[: matches[0].start()].splitlines()
        if line.strip().isascii() and line.strip() and not line.startswith("Each of the")
    )
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        lines = [line.strip() for line in text[m.end() : end].splitlines() if line.strip()]
        command = next((line[4:] for line in lines if line.startswith(">>> ")), None)
        reply = [line[4:] for line in lines if line.startswith("<<< ")]
        if reply:
            diagnostic = join_reply(reply)
        else:
            diagnostic = " ".join(p for p in (why, m.group(2).strip()) if p)
        if command and not command.upper().startswith("RCPT"):
            diagnostic = f"{diagnostic} (in reply to {command.split(':')[0]} command)"
        said = smtp_command(f">>> {command}\n<<< {reply[0]}") if command and reply else None
        out.append(report(m.group(1), "failed", diagnostic or None, command=said))
    return unique(out)


class EZwebDetector:
    """au EZweb "Mail System Error - Returned Mail"."""

    name = "ezweb"
    title = "au (KDDI) EZweb"
    description = (
        'From Postmaster@ezweb.ne.jp / au.com or Subject "Mail System Error - Returned Mail";'
        ' "Each of the following recipients was rejected", "The user(s) account is …"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/EZweb.pm (decoder source)"
    screened = True
    needs = _STARTS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if info.subject != _SUBJECT and not info.sender.endswith(_DOMAINS):
            return None
        text = body_text(msg)
        starts = [i for i in (text.find(s) for s in _STARTS) if i >= 0]
        if not starts:
            return None
        recipients = ezweb_recipients(cut(text[min(starts) :], *_ENDS))
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
