"""Barracuda Spam Firewall / Email Security Gateway notices (no delivery-status part):

    Your message to: nobody@example.com
    was blocked by our Spam Firewall. The email you sent with the following subject has NOT
    BEEN DELIVERED:
    …
    Reason: 550 5.7.1 Message content rejected, blocked by Barracuda Reputation (BRBL)

or, for a refusal by the mail server behind the gateway:

    Your message could not be delivered to the following recipients:

         nobody@example.com

    Reason: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown

    The message was rejected by exchange01.example.com (192.168.20.5)
    after it had been accepted by the Barracuda Email Security Gateway.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    ADDR_RE,
    body_text,
    bounce,
    cut,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_TO_RE = lazy_compile(r"^Your message to:[ \t]*<?(" + ADDR_RE.pattern + r")>?[ \t]*$", re.M)
_LISTED = "Your message could not be delivered to the following recipients:"
_REASON_RE = lazy_compile(r"^Reason:[ \t]*(.*(?:\n(?![ \t]*\n).*)*)", re.M)
_REJECTED_BY_RE = lazy_compile(r"rejected by ([\w.-]+) \(")
_ENDS = ("\n--", "Content-Type: message/rfc822")


class BarracudaDetector:
    """Barracuda: "Your message to: …" / "… could not be delivered to the following
    recipients:" and "Reason: …"."""

    name = "barracuda"
    title = "Barracuda Spam Firewall / Email Security Gateway"
    description = (
        'a Barracuda host or "Barracuda" in the text; "Your message to: … was blocked by our'
        ' Spam Firewall" or "could not be delivered to the following recipients:", "Reason: …"'
    )
    reference = "https://campus.barracuda.com/product/emailsecuritygateway/ (bounce notices)"
    screened = True
    needs = ("Barracuda", "Spam Firewall")  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or "barracuda" in info.raw.get("from", "").lower()):
            return None
        body = body_text(msg)
        if "Barracuda" not in body and "Spam Firewall" not in body:
            return None  # (the text below is a prefix of the body: not there either)
        text = cut(body, *_ENDS)
        if "Barracuda" not in text and "Spam Firewall" not in text:
            return None
        reason = _REASON_RE.search(text)
        diagnostic = " ".join(reason.group(1).split()) if reason else None
        by = _REJECTED_BY_RE.search(text)
        remote = by.group(1).lower() if by else None
        addresses = [m.group(1) for m in _TO_RE.finditer(text)]
        at = text.find(_LISTED)
        if at >= 0:
            end = reason.start() if reason and reason.start() > at else len(text)
            addresses += [m.group(1) for m in ADDR_LINE_RE.finditer(text, at + len(_LISTED), end)]
        return bounce(report(a, "failed", diagnostic, remote_mta=remote) for a in addresses)
