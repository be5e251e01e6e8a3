"""au by KDDI (auone-net / dion.ne.jp) returned mail: a short English notice, from
no-reply@…dion.ne.jp (or with Reply-To no-reply@app.auone-net.jp).

    Your mail sent on: Thu, 29 Apr 2026 11:04:47 +0900
         Could not be delivered to: <nobody@example.dion.ne.jp>
         As their mailbox is full.

Other reasons read "As the remote domain doesnt exist." and "Due to the following SMTP relay
error"; the indented lines under the address are its diagnostic.
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
    find_first,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_STARTS = ("Your mail sent on:", "Your mail attempted to be delivered on:")
_RCPT_RE = lazy_compile(
    r"^[ \t]*Could not be delivered to:[ \t]*<?(" + ADDR_RE.pattern + r")>?", re.M
)
_INDENTED_RE = lazy_compile(r"\A(?:[ \t]+\S.*(?:\n|\Z))+")


class KddiDetector:
    """au by KDDI: "Your mail sent on: …" / "Could not be delivered to: <…>"."""

    name = "kddi"
    title = "au by KDDI (auone-net, dion.ne.jp)"
    description = (
        'From no-reply@….dion.ne.jp or Reply-To no-reply@app.auone-net.jp; "Your mail sent on:"'
        ' + "Could not be delivered to: <…>"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/KDDI.pm (decoder source)"
    screened = True
    needs = _STARTS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        reply_to = info.raw.get("reply-to", "").lower()
        if not (
            info.sender.endswith(".dion.ne.jp")
            or "auone-net.jp" in reply_to
            or info.sender.startswith("no-reply@")
            or info.daemon
        ):
            return None
        text = body_text(msg)
        start = find_first(text, _STARTS)
        if start < 0:
            return None
        section = cut(text[start:], "Content-Type: message/rfc822")
        out = []
        matches = list(_RCPT_RE.finditer(section))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(section)
            rest = section[m.end() : end].partition("\n")[2]
            block = _INDENTED_RE.match(rest)
            diagnostic = " ".join(block.group(0).split()) if block else None
            out.append(report(m.group(1), "failed", diagnostic))
        return bounce(out)
