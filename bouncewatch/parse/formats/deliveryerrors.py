""" "Returned Mail:" notices listing each failed address with its reason in brackets, from
"Mail Deliver System" <MAILER-DAEMON> (seen behind Openfind's Mail2000 and "OpenMail
Mailer" relays; the MTA does not name itself):

    The original message was received at Thu, 29 Apr 2026 23:34:45 +0900 (JST)
    from sender@example.co.jp
    ---The following addresses had delivery errors---
    nobody@example.org [User unknown]
    other@example.net [Mailbox full]
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    bounce,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_START = "---The following addresses had delivery errors---"
_LINE_RE = lazy_compile(r"^<?(" + ADDR_RE.pattern + r")>?[ \t]+\[(.*)\][ \t]*$", re.M)


class DeliveryErrorsDetector:
    """ "---The following addresses had delivery errors---" + "address [reason]" lines."""

    name = "deliveryerrors"
    title = 'Bracketed "delivery errors" notices (Mail2000 / OpenMail relays)'
    description = (
        'Subject "Returned Mail:"; "---The following addresses had delivery errors---", then'
        ' "address [reason]" lines'
    )
    reference = 'Sisimai lib/Sisimai/Lhost/X1.pm (decoder source, "Unknown MTA #1")'
    screened = True
    needs = (_START,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("returned mail")):
            return None
        text = body_text(msg)
        start = text.find(_START)
        if start < 0:
            return None
        section = text[start + len(_START) :]
        out = []
        for m in _LINE_RE.finditer(section):
            out.append(report(m.group(1), "failed", m.group(2).strip() or None))
        return bounce(out)
