"""Active!Hunter (TransWARE) returned mail: sendmail-like text in a multipart/report without
a delivery-status part, recognised by its `X-AHMAILID` header, the "FAILURE NOTICE :" subject
or the "------=_Active!Hunter_" boundary.

      ----- The following addresses had permanent fatal errors -----
    >>> nobody@example.ed.jp <nobody@example.ed.jp>
      ----- Transcript of session follows -----
    550 <nobody@example.ed.jp>: Recipient address rejected: User unknown
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

_PERMANENT = "----- The following addresses had permanent fatal errors -----"
_TRANSCRIPT = "----- Transcript of session follows -----"
_RCPT_RE = lazy_compile(r"^>>> .*?<?(" + ADDR_RE.pattern + r")>?\s*$", re.M)
_REPLY_RE = lazy_compile(r"^[245][0-9][0-9][ -].*$", re.M)


class ActiveHunterDetector:
    """Active!Hunter: X-AHMAILID, ">>> address <address>" + the transcript's reply."""

    name = "activehunter"
    title = "Active!Hunter (TransWARE)"
    description = (
        'X-AHMAILID header, Subject "FAILURE NOTICE :" or an "Active!Hunter" boundary;'
        ' ">>> address <address>" under "permanent fatal errors", the reply in the transcript'
    )
    reference = "Sisimai lib/Sisimai/Lhost/Activehunter.pm (decoder source)"
    screened = True
    needs = (_PERMANENT,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (
            "x-ahmailid" in info.raw
            or info.subject.startswith("failure notice :")
            or "active!hunter" in info.raw.get("content-type", "").lower()
        ):
            return None
        text = body_text(msg)
        at = text.find(_PERMANENT)
        if at < 0:
            return None
        section = text[at + len(_PERMANENT) :]
        listed = cut(section, _TRANSCRIPT)
        transcript = section[len(listed) + len(_TRANSCRIPT) :] if _TRANSCRIPT in section else ""
        replies = [m.group(0) for m in _REPLY_RE.finditer(transcript)]
        out = []
        for m in _RCPT_RE.finditer(listed):
            low = m.group(1).lower()
            mine = [r for r in replies if low in r.lower()] or replies[:1]
            out.append(report(m.group(1), "failed", mine[0] if mine else None))
        return bounce(out)
