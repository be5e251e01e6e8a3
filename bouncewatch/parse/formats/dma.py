"""DragonFly Mail Agent (dma) bounces: plain text, no DSN part, one bounce per recipient.

    This is the DragonFly Mail Agent v0.13 at mail.example.net.

    There was an error delivering your mail to <nobody@example.org>.

    mx.example.org [192.0.2.25] did not like our RCPT TO:
    550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown

    Message headers follow.          (or "Original message follows." with FULLBOUNCE)

The explanation is the remote server's reply (a multi-line reply joined), or dma's own words:
"DNS lookup failure: host … not found", "Could not deliver for the last N seconds. Giving up."
The bounce's own header carries the recipient too (`X-Original-To: <…>`).
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    find_first,
    join_reply,
    message_info,
    quoted_headers,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_AGENT = "This is the DragonFly Mail Agent"
_START_RE = lazy_compile(
    r"This is the DragonFly Mail Agent(?: v[\w.]+)? at ([\w.-]+?)\.?\s*$", re.M
)
_RCPT_RE = lazy_compile(
    r"^There was an error delivering your mail to <?(" + ADDR_RE.pattern + r")>?\.?\s*$", re.M
)
_ENDS = ("\nMessage headers follow.", "\nOriginal message follows.")
#: "mx.example.org [192.0.2.25] did not like our RCPT TO:" (also "final DATA", "MAIL FROM")
_PEER_RE = lazy_compile(r"^([\w.-]+) \[[0-9A-Fa-f.:]*\] did not like our ([^:\n]+):\s*$", re.M)


class DmaDetector:
    """dma's "Mail delivery failed": "This is the DragonFly Mail Agent …", one recipient."""

    name = "dma"
    title = "DragonFly Mail Agent (dma)"
    description = (
        '"This is the DragonFly Mail Agent … at …" and "There was an error delivering your mail'
        ' to <…>."; plain text, one bounce per recipient'
    )
    reference = "https://github.com/corecode/dma/blob/master/mail.c (bounce text)"
    screened = True
    needs = (_AGENT,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (
            info.daemon or "x-original-to" in info.raw or info.subject.startswith("mail delivery")
        ):
            return None
        text = body_text(msg)
        if _AGENT not in text:  # what _START_RE needs, found without the regex
            return None
        start = _START_RE.search(text)
        if start is None:
            return None
        rcpt = _RCPT_RE.search(text, start.end())
        if rcpt is None:
            return None
        rest = text[rcpt.end() :]
        end = find_first(rest, _ENDS)
        explanation = (rest[:end] if end >= 0 else rest).strip()
        peer = _PEER_RE.search(explanation)
        remote = None
        if peer is not None:
            remote = peer.group(1).rstrip(".").lower()
            reply = [line for line in explanation[peer.end() :].splitlines() if line.strip()]
            diagnostic = join_reply(reply) if reply else explanation
        else:
            diagnostic = explanation
        found = report(rcpt.group(1), "failed", diagnostic, remote_mta=remote)
        quoted = rest[end + 1 :].partition("\n")[2] if end >= 0 else ""
        extra = {"original_headers": quoted_headers(quoted)} if quoted else {}
        return Detection(
            kind="bounce", recipients=[found], reporting_mta=start.group(1), extra=extra
        )
