"""Zoho Mail delivery notices (mailer-daemon@mail.zoho.com, `X-Mailer: Zoho Mail`), sent as
multipart/mixed with no delivery-status part.

    This message was created automatically by mail delivery software.
    A message that you sent could not be delivered to one or more of its recipients. …
    nobody@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <…>... User unknown

and the delay warning ("THIS IS A WARNING MESSAGE ONLY."):

    ----- The following addresses had fatal errors -----
    [Status: Error, Address: <nobody@example.org>, ResponseCode 421, , Host not reachable.]
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

_WARNING = "THIS IS A WARNING MESSAGE ONLY"
_STARTS = ("This message was created automatically by mail delivery",)
#: "addr Reason, ERROR_CODE :550, ERROR_CODE :5.1.1 text"
_LINE_RE = lazy_compile(
    r"^(" + ADDR_RE.pattern + r")[ \t]+([^,\n]*),[ \t]*ERROR_CODE[ \t]*:[ \t]*([245][0-9][0-9])"
    r"(?:,[ \t]*ERROR_CODE[ \t]*:[ \t]*)?(.*)$",
    re.M,
)
#: "[Status: Error, Address: <addr>, ResponseCode 421, , Host not reachable.]"
_STATUS_RE = lazy_compile(
    r"^\[Status:[^,\]]*,[ \t]*Address:[ \t]*<?(" + ADDR_RE.pattern + r")>?,"
    r"[ \t]*ResponseCode[ \t]*([0-9]{3})?[ \t]*,([^\]]*)\]",
    re.M,
)
_ENDS = ("----- Transcript of session follows -----", "\nReceived:")


class ZohoDetector:
    """Zoho Mail: "ERROR_CODE :550" lines or "[Status: …, Address: <…>, ResponseCode …]"."""

    name = "zoho"
    title = "Zoho Mail"
    description = (
        'From mailer-daemon@mail.zoho.com or X-Mailer "Zoho Mail"; "address Reason, ERROR_CODE'
        ' :550, …" lines or "[Status: …, Address: <…>, ResponseCode 421, …]"'
    )
    reference = "https://www.zoho.com/mail/help/adminconsole/email-delivery-failure.html"
    screened = True
    needs = _STARTS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        mailer = info.raw.get("x-mailer", "").lower()
        if "zoho" not in mailer and not info.sender.endswith("zoho.com"):
            return None
        text = body_text(msg)
        start = next((i for i in (text.find(s) for s in _STARTS) if i >= 0), -1)
        if start < 0:
            return None
        section = cut(text[start:], *_ENDS)
        action = "delayed" if _WARNING in section else "failed"
        out = []
        for m in _LINE_RE.finditer(section):
            reason, detail = m.group(2).strip(), m.group(4).strip()
            diagnostic = f"{m.group(3)} {detail}" if detail else f"{m.group(3)} {reason}"
            out.append(report(m.group(1), action, diagnostic))
        for m in _STATUS_RE.finditer(section):
            code, detail = m.group(2), m.group(3).strip(" ,")
            diagnostic = " ".join(p for p in (code, detail) if p)
            out.append(report(m.group(1), action, diagnostic or None))
        return bounce(out)
