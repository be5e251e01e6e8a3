"""Courier mail server delivery status notifications, text part.

    This is a delivery status notification from mail.example.net,
    running the Courier mail server, version 1.1.

                               UNDELIVERABLE MAIL

    Your message to the following recipients cannot be delivered:

    <nobody@example.org>:
        mx.example.org [192.0.2.25]:
    >>> RCPT TO:<nobody@example.org>
    <<< 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown

"DELAYED MAIL" / "has not been delivered yet" notices are delays.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    address_blocks,
    between,
    body_text,
    message_info,
    report,
    server_reply,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.smtp.command import smtp_command

_MARK = "running the Courier mail server"
_FAILED = "Your message to the following recipients cannot be delivered:"
_DELAYED = "Your message to the following recipients has not been delivered yet:"
_RULE = "\n-----"
_FROM_RE = lazy_compile(r"delivery status notification from ([\w.-]+?),")
_HOST_RE = lazy_compile(r"^\s*([\w.-]+) \[[0-9a-fA-F.:]+\]:\s*$", re.M)


class CourierDetector:
    """Courier "NOTICE: mail delivery status." reports."""

    name = "courier"
    title = "Courier"
    description = 'null sender `<@>`; "running the Courier mail server"'
    reference = "https://www.courier-mta.org/courierdsn.html"
    screened = True
    needs = (_MARK,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.daemon and "courier mail server" not in info.raw.get("from", "").lower():
            return None
        text = body_text(msg)
        if _MARK not in text:
            return None
        action, section = "failed", between(text, _FAILED, _RULE)
        if section is None:
            action, section = "delayed", between(text, _DELAYED, _RULE)
        if section is None:
            return None
        recipients = []
        for address, block in address_blocks(section):
            host = _HOST_RE.search(block)
            lines = block.split("\n")
            first = next((i for i, ln in enumerate(lines) if ln.startswith("<<< ")), len(lines))
            diagnostic = server_reply(lines, first) or _HOST_RE.sub("", block)
            recipients.append(
                report(
                    address,
                    action,
                    diagnostic,
                    remote_mta=host and host.group(1).lower(),
                    command=smtp_command(block),  # ">>> RCPT TO:<…>" above the reply
                )
            )
        recipients = unique(recipients)
        if not recipients:
            return None
        m = _FROM_RE.search(text)
        return Detection(kind="bounce", recipients=recipients, reporting_mta=m and m.group(1))
