"""AOL's returned mail: sendmail-built reports sent from MAILER-DAEMON@aol.com.

----- The following addresses had permanent fatal errors -----
<nobody@aol.com>
    (reason: 550 MAILBOX NOT FOUND)
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import body_text, contains_any, message_info
from bouncewatch.parse.formats.sendmail import sendmail_recipients

_MARKERS = ("----- The following addresses had", "----- Transcript of session follows -----")
_AOL_DOMAINS = ("aol.com", "aim.com", "cs.com", "netscape.net")


class AolDetector:
    """AOL (MAILER-DAEMON@aol.com) sendmail-style returned mail."""

    name = "aol"
    title = "AOL returned mail"
    description = "From `MAILER-DAEMON@aol.com`; sendmail-style report"
    reference = "https://senders.yahooinc.com/smtp-error-codes/ (AOL is run by Yahoo)"
    screened = True
    needs = _MARKERS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        sender = message_info(msg).sender
        local, _, domain = sender.rpartition("@")
        if local != "mailer-daemon" or not domain.endswith(_AOL_DOMAINS):
            return None
        text = body_text(msg)
        if not contains_any(text, _MARKERS):
            return None
        recipients = sendmail_recipients(text)
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients)
