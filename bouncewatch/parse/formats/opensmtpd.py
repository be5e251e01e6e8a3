"""OpenSMTPD's delivery status notifications, text part ("Hi! This is the MAILER-DAEMON").

    Hi!

        This is the MAILER-DAEMON, please DO NOT REPLY to this email.

        An error has occurred while attempting to deliver a message for
        the following list of recipients:

    nobody@example.org: 550 5.1.1 <nobody@example.org>: Recipient address rejected

        Below is a copy of the original message:

Releases before 5.7 sent only this text; later ones add a message/delivery-status part
(without Diagnostic-Code) that the RFC 3464 decoder reads first.  "A message is delayed for
more than 4h for the following list of recipients" is a delay.
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

_MARK = "This is the MAILER-DAEMON, please DO NOT REPLY to this"
_LIST = "list of recipients:"
_DELAYED = "A message is delayed for more than"
_ENDS = ("Below is a copy of the original message", "Please note that this is only a temporary")
_LINE_RE = lazy_compile(r"^<?(" + ADDR_RE.pattern + r")>?: (.+)$", re.M)


class OpenSmtpdDetector:
    """OpenSMTPD "Delivery status notification: error|warning" text reports."""

    name = "opensmtpd"
    title = "OpenSMTPD"
    description = 'Subject "Delivery status notification: …"; "This is the MAILER-DAEMON, please DO NOT REPLY"'
    reference = "https://github.com/OpenSMTPD/OpenSMTPD/blob/master/usr.sbin/smtpd/bounce.c"
    screened = True
    needs = (_MARK,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.daemon or not info.subject.startswith("delivery status notification"):
            return None
        text = body_text(msg)
        if _MARK not in text:
            return None
        section = between(text, _LIST, *_ENDS)
        if section is None:
            return None
        action = "delayed" if _DELAYED in text else "failed"
        recipients = unique(
            report(m.group(1), action, m.group(2)) for m in _LINE_RE.finditer(section)
        )
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
