"""qmail / netqmail / vpopmail bounces ("Hi. This is the qmail-send program at …").

    <nobody@example.org>:
    192.0.2.25 does not like recipient.
    Remote host said: 550 5.1.1 <nobody@example.org>: Recipient address rejected
    Giving up on 192.0.2.25.

Local failures carry qmail's own status in "(#5.1.1)" form.  The same layout is shared by
many qmail derivatives (qmail-ldap, vpopmail, Plesk); Yahoo's variant has its own decoder.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    address_blocks,
    body_text,
    cut,
    find_first,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.smtp.command import smtp_command

_STARTS = (
    "This is the qmail-send program at",
    "I'm afraid I wasn't able to deliver your message",
    # qmail clones' and qmail-derived providers' greetings (Yahoo's has its own decoder)
    "Unable to deliver message to the following address(es)",
    "Unable to deliver message to the following address",
    "unable to deliver your message to the following addresses",
    "Unfortunately, your mail was not delivered to the following address:",
    "Your mail message to the following address",
    "Your message to the following addresses",
    "This is the mail delivery agent at",
    "This is the machine generated message from mail service",
    "Su mensaje no pudo ser entregado",
)
_ENDS = (
    "--- Below this line is a copy of the message",
    "--- Enclosed are the original headers",
    "--- Original message follows",
)
_JAMES = "This is the James mail server"
_SUBJECTS = ("failure notice", "permanent delivery failure")
_HOST_RE = lazy_compile(r"This is the qmail-send program at ([\w.-]+?)\.?\s*$", re.M)
_IP_RE = lazy_compile(
    r"^(?:Connected to )?([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[\w-]+(?:\.[\w-]+)+)"
    r" (?:does not like|failed after|but )",
    re.M,
)
_GIVING_UP_RE = lazy_compile(r"^Giving up on .*$", re.M)
#: "554: delivery error: …" (a reply code followed by a colon, which Yahoo writes)
_LEAD_CODE_RE = lazy_compile(r"^\s*([245][0-5][0-9]):? ")


def qmail_recipients(section: str, action: str = "failed") -> list[RecipientReport]:
    """Decode the "<address>:" paragraphs of a qmail-style report."""
    out = []
    for address, block in address_blocks(section):
        block = block.strip()
        m = _IP_RE.search(block)
        host = m.group(1).lower() if m else None
        said = block.find("Remote host said:")
        diagnostic = block[said + len("Remote host said:") :] if said >= 0 else block
        diagnostic = _GIVING_UP_RE.sub("", diagnostic)
        lead = _LEAD_CODE_RE.match(diagnostic)
        code = int(lead.group(1)) if lead else None
        # "192.0.2.25 does not like recipient." / "… failed after I sent the message."
        command = smtp_command(block)
        out.append(
            report(address, action, diagnostic, remote_mta=host, smtp_code=code, command=command)
        )
    return unique(out)


class QmailDetector:
    """qmail-send bounces ("Hi. This is the qmail-send program at …", "(#5.1.1)" codes)."""

    name = "qmail"
    title = "qmail / netqmail / vpopmail"
    description = 'MAILER-DAEMON or Subject "failure notice"; "Hi. This is the qmail-send program at …", `(#5.1.1)` codes'
    reference = "https://cr.yp.to/proto/qsbmf.txt (qmail-send bounce message format)"
    screened = True
    needs = _STARTS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.daemon and not info.subject.startswith(_SUBJECTS):
            return None
        text = body_text(msg)
        start = find_first(text, _STARTS)
        if start < 0 or _JAMES in text:  # Apache James borrows qmail's greeting
            return None
        recipients = qmail_recipients(cut(text[start:], *_ENDS))
        if not recipients:
            return None
        m = _HOST_RE.search(text)
        return Detection(kind="bounce", recipients=recipients, reporting_mta=m and m.group(1))
