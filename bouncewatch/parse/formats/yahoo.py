"""Yahoo's own (non-DSN) failure notices, a qmail descendant.

    Sorry, we were unable to deliver your message to the following address.

    <nobody@example.org>:
    Remote host said: 550 5.1.1 <nobody@example.org>... User unknown [RCPT_TO]

    --- Below this line is a copy of the message.

Mail to a Yahoo address that doesn't exist comes back as
"554: delivery error: dd This user doesn't have a yahoo.com account (…) [0] - mta…".
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    MessageInfo,
    body_text,
    cut,
    find_first,
    message_info,
)
from bouncewatch.parse.formats.qmail import qmail_recipients

_STARTS = (
    "Sorry, we were unable to deliver your message to the following address",
    "Unable to deliver message to the following address(es)",
)
_ENDS = ("--- Below this line is a copy of the message", "--- Original message follows")
_SUBJECTS = ("failure notice", "delivery status notification")
_YAHOO_DOMAINS = ("yahoo.com", "yahoo.co.jp", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com")


def _from_yahoo(info: MessageInfo) -> bool:
    domain = info.sender.rpartition("@")[2]
    if domain.endswith(_YAHOO_DOMAINS) or domain.endswith("yahoodns.net"):
        return True
    received = info.raw.get("received", "")
    return ".yahoo.com" in received or "yahoodns.net" in received


class YahooDetector:
    """Yahoo "Failure Notice" messages ("Sorry, we were unable to deliver your message")."""

    name = "yahoo"
    title = "Yahoo failure notices"
    description = (
        'Yahoo sender or a mailer daemon, Subject "Failure Notice"; "Sorry, we were unable to'
        ' deliver your message…"'
    )
    reference = "https://senders.yahooinc.com/smtp-error-codes/"
    screened = True
    needs = _STARTS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.subject.startswith(_SUBJECTS) or not (_from_yahoo(info) or info.daemon):
            return None
        text = body_text(msg)
        start = find_first(text, _STARTS)
        if start < 0:
            return None
        recipients = qmail_recipients(cut(text[start:], *_ENDS))
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
