"""Apple Mail's one-tap unsubscribe requests: a message from the reader's own address with
`X-Apple-Unsubscribe: true`, sent to the List-Unsubscribe mailto: address:

    From: reader@icloud.com
    Subject: unsubscribe
    X-Apple-Unsubscribe: true

    Apple Mail sent this email to unsubscribe from the message "…".

The reader asked to get no more mail: a complaint for the sender address (feedback type
"unsubscribe"), not an automatic reply.
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import ADDR_RE, message_info


class AppleUnsubscribeDetector:
    """Apple Mail unsubscribe: `X-Apple-Unsubscribe: true`."""

    name = "appleunsubscribe"
    title = "Apple Mail unsubscribe requests"
    description = "`X-Apple-Unsubscribe: true`; the From address asked to be unsubscribed"
    reference = (
        "https://support.apple.com/guide/iphone/unsubscribe-from-mailing-lists-iph2ef8f1f5f/ios"
    )
    screened = False  # sent by the reader, with an ordinary subject

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if info.raw.get("x-apple-unsubscribe", "").strip().lower() != "true":
            return None
        m = ADDR_RE.search(info.sender)
        if m is None:
            return None
        return Detection(
            kind="complaint",
            recipients=[RecipientReport(address=m.group(0))],
            feedback_type="unsubscribe",
        )
