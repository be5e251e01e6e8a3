"""Oracle (Sun ONE / iPlanet) Messaging Server reports, read from their text part (for the
relays that strip the delivery-status part, or whose status part names a source route):

    This report relates to a message you sent with the following header fields:
      …
    Your message cannot be delivered to the following recipients:

      Recipient address: nobody@example.org
      Original address: alias@example.org
      Reason: Remote SMTP server has rejected address
      Diagnostic code: smtp;550 5.1.1 <nobody@example.org>... User unknown
      Remote system: dns;mx.example.org (TCP|192.0.2.1|48044|192.0.2.25|25) (…)

"Your message has been delayed" / "… is still being retried" reports are delays.  A
recipient address that is no plain address (a source route "@relay:user@host") gives way to
the original address.
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

_STARTS_RE = lazy_compile(
    r"^Your message (cannot be delivered|has been delayed|is being retried|could not be"
    r" delivered)[^\n]*following recipients?:",
    re.M,
)
_FIELD_RE = lazy_compile(
    r"^[ \t]+(Recipient address|Original address|Reason|Diagnostic code|"
    r"Remote system):[ \t]*(.*)$",
    re.M,
)
_PLAIN_RE = lazy_compile(r"\A" + ADDR_RE.pattern + r"\Z")
_ENDS = ("\n--", "Content-type: message/delivery-status", "Content-Type: message/delivery-status")


class MessagingServerDetector:
    """Oracle Messaging Server: "Recipient address:" / "Reason:" / "Diagnostic code:"."""

    name = "messagingserver"
    title = "Oracle (Sun ONE, iPlanet) Messaging Server"
    description = (
        '"This report relates to a message you sent…", "Your message cannot be delivered to the'
        ' following recipients:", "Recipient address:", "Reason:", "Diagnostic code:" lines'
    )
    reference = "https://docs.oracle.com/cd/E19563-01/819-4428/ (Messaging Server notifications)"
    screened = True
    needs = ("following recipient",)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (
            info.daemon or info.subject.startswith(("delivery notification", "delivery status"))
        ):
            return None
        text = body_text(msg)
        # what _STARTS_RE needs, found without the regex
        if "following recipient" not in text or "Your message " not in text:
            return None
        start = _STARTS_RE.search(text)
        if start is None:
            return None
        action = (
            "failed"
            if start.group(1) in ("cannot be delivered", "could not be delivered")
            else "delayed"
        )
        section = cut(text[start.end() :], *_ENDS)
        groups: list[dict[str, str]] = []
        for m in _FIELD_RE.finditer(section):
            if m.group(1) == "Recipient address" or not groups:
                groups.append({})
            groups[-1].setdefault(m.group(1), m.group(2).strip())
        out = []
        for g in groups:
            address = g.get("Recipient address", "")
            original = g.get("Original address")
            if not _PLAIN_RE.match(address) and original:
                address = original  # a source route or a local name: the address the sender used
            if not _PLAIN_RE.match(address):
                continue
            code = g.get("Diagnostic code", "")
            diagnostic = code.split(";", 1)[1].strip() if ";" in code else code or g.get("Reason")
            remote = g.get("Remote system", "")
            host = next(iter(remote.partition(";")[2].split()), "").lower() or None
            out.append(report(address, action, diagnostic or None, remote_mta=host))
        return bounce(out)
