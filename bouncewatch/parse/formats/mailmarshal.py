"""Trustwave / Marshal MailMarshal SMTP non-delivery notices.

Subject: Undeliverable Mail: "Your November digest"

Your message:
   From:    newsletter@example.com
   Subject: Your November digest

Could not be delivered because of

550 5.1.1 <nobody@example.org>... User unknown

The following recipients were affected:
    nobody@example.org

Additional Information
======================
Original Sender:    <newsletter@example.com>
Sender-MTA:         <198.51.100.7>
Remote-MTA:         <192.0.2.25>
Reporting-MTA:      <mailmarshal.example.net>
ReceivingMTA:       <mx.example.org>
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    between,
    body_text,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_BECAUSE = "Could not be delivered because of"
_AFFECTED = "The following recipients were affected:"
_INFO = "Additional Information"
_RCPT_RE = lazy_compile(r"^\s+<?(" + ADDR_RE.pattern + r")>?\s*$", re.M)
_FIELD_RE = lazy_compile(r"^(Reporting-MTA|ReceivingMTA|Remote-MTA):\s*<([^>]*)>", re.M)


class MailMarshalDetector:
    """MailMarshal "Undeliverable Mail" notices ("Could not be delivered because of")."""

    name = "mailmarshal"
    title = "MailMarshal"
    description = 'Subject "Undeliverable Mail:"; "Could not be delivered because of"'
    reference = "Sisimai lib/Sisimai/Lhost/MailMarshalSMTP.pm (decoder source)"
    screened = True
    needs = (_BECAUSE,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not message_info(msg).subject.startswith("undeliverable mail"):
            return None
        text = body_text(msg)
        reason = between(text, _BECAUSE, _AFFECTED)
        affected = between(text, _AFFECTED, _INFO)
        if reason is None or affected is None:
            return None
        fields = dict(_FIELD_RE.findall(text))
        remote = fields.get("ReceivingMTA") or fields.get("Remote-MTA") or None
        recipients = unique(
            report(m.group(1), "failed", reason, remote_mta=remote and remote.lower())
            for m in _RCPT_RE.finditer(affected)
        )
        if not recipients:
            return None
        return Detection(
            kind="bounce", recipients=recipients, reporting_mta=fields.get("Reporting-MTA")
        )
