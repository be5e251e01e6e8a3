"""Google Workspace notices that name the failed recipient only in `X-Failed-Recipients`
(a delivery-status part, when there is one, has no recipient fields):

    ** Message not delivered **

    You're sending this from a different address or alias using the 'Send mail as' feature.
    The settings for your 'Send mail as' account are misconfigured or out of date. …
    Learn more here: https://support.google.com/mail/?p=CustomFromDenied

    The response was:
    Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability

Gmail's notices that name the address in their text ("Your message wasn't delivered to …")
are the gmail decoder's.  The registry lets a report that names nobody fall through to the format decoders, so this
one reads what the RFC 3464 decoder could not.  The notice's text (without its "Learn more"
links) is the diagnostic of every address in X-Failed-Recipients.
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

_HEADING_RE = lazy_compile(r"^\*\* [^*\n]+ \*\*[ \t]*$", re.M)
_LEARN_RE = lazy_compile(r"^Learn more (?:here|at)\b.*$", re.M)
_ENDS = ("----- Original message -----", "\n----- ", "Content-Type: message/rfc822")


class GoogleWorkspaceDetector:
    """Google Workspace: "** Message not delivered **" and X-Failed-Recipients."""

    name = "googleworkspace"
    title = "Google Workspace notices naming the recipient only in X-Failed-Recipients"
    description = (
        'X-Failed-Recipients; "** Message not delivered **" (or another "** … **" heading),'
        ' "The response was:"; no Final-Recipient'
    )
    reference = "https://support.google.com/a/answer/3221692 (Google Workspace bounce messages)"
    screened = True
    needs = ("** ",)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        failed = message_info(msg).raw.get("x-failed-recipients", "")
        if not failed:
            return None
        text = body_text(msg)
        if "** " not in text:  # what _HEADING_RE needs, found without the regex
            return None
        heading = _HEADING_RE.search(text)
        if heading is None:
            return None
        notice = _LEARN_RE.sub("", cut(text[heading.end() :], *_ENDS))
        addresses = ADDR_RE.findall(failed)
        named = {a.lower() for a in ADDR_RE.findall(notice)}  # one pass, however many failed
        if any(a.lower() in named for a in addresses):
            return None  # Gmail's own layout names the address in its text: the gmail decoder's
        diagnostic = " ".join(notice.split()) or None
        return bounce(report(a, "failed", diagnostic) for a in addresses)
