""" "Delivery to the following recipients was aborted" notices (an MTA that does not name
itself; multipart/report whose delivery-status part is often missing):

    ============================================================================
          This is an automatically generated Delivery Status Notification.
    Delivery to the following recipients was aborted after 5.0 hour(s):
      * nobody@example.org
    ============================================================================
                                 Technical details:
    Routing: Could not find a gateway for nobody@example.org
    ============================================================================

Some releases misspell it "Delevery".  The technical details, with the time given up after,
are every listed recipient's diagnostic.
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

_ABORTED_RE = lazy_compile(
    r"^De(?:li|le)very to the following recipients? (?:was|were) aborted after ([^:\n]+):\s*$",
    re.M,
)
_ITEM_RE = lazy_compile(r"^[ \t]*\*[ \t]*<?(" + ADDR_RE.pattern + r")>?[ \t]*$", re.M)
_DETAILS_RE = lazy_compile(r"Technical details:\s*\n((?:(?!=====).*\n?)*)")


class AbortedDetector:
    """ "Delivery to the following recipients was aborted after …": "  * address" lines."""

    name = "aborted"
    title = '"Delivery … was aborted after …" notices'
    description = (
        '"This is an automatically generated Delivery Status Notification.", "Delivery to the'
        ' following recipients was aborted after …:", "  * address", "Technical details:"'
    )
    reference = 'Sisimai lib/Sisimai/Lhost/X3.pm (decoder source, "Unknown MTA #3")'
    screened = True
    needs = (" aborted after ",)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("delivery status notification")):
            return None
        text = body_text(msg)
        if " aborted after " not in text:  # what _ABORTED_RE needs, found without the regex
            return None
        aborted = _ABORTED_RE.search(text)
        if aborted is None:
            return None
        details = _DETAILS_RE.search(text, aborted.end())
        why = " ".join(details.group(1).split()) if details else ""
        diagnostic = f"{why} (delivery aborted after {aborted.group(1).strip()})".strip()
        end = details.start() if details else len(text)
        return bounce(
            report(m.group(1), "failed", diagnostic)
            for m in _ITEM_RE.finditer(text, aborted.end(), end)
        )
