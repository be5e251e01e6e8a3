"""Microsoft JMRP (Junk Mail Reporting Program) complaints: not ARF, but a multipart/mixed
message from staff@hotmail.com, Subject "complaint about message from <IP>", with the
reported message attached as message/rfc822.  Outlook.com names the complaining mailbox in
the attached message's `X-HmXmrOriginalRecipient` header (its To: otherwise).
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import ADDR_RE, message_info
from bouncewatch.parse.mime import content_type

_SUBJECT = "complaint about message from"
_SENDERS = ("hotmail.com", "outlook.com", "live.com", "msn.com", "microsoft.com")


def _attached(msg: Message) -> Message | None:
    if not msg.is_multipart():
        return None
    for part in msg.get_payload():
        if isinstance(part, Message) and content_type(part) == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
    return None


class JmrpDetector:
    """Microsoft JMRP: "complaint about message from …" + the reported message attached."""

    name = "jmrp"
    title = "Microsoft JMRP complaints (Outlook.com junk reports, not ARF)"
    description = (
        'Subject "complaint about message from <IP>" (from staff@hotmail.com); the reported'
        " message attached, its X-HmXmrOriginalRecipient naming the complainant"
    )
    reference = "https://sendersupport.olc.protection.outlook.com/pm/junkmail.aspx (JMRP)"
    screened = False

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.subject.startswith(_SUBJECT) or content_type(msg) == "multipart/report":
            return None  # (Outlook.com's reports in ARF form are the ARF decoder's)
        inner = _attached(msg)
        if inner is None:
            return None
        # (a str, or an email.header.Header when the header's raw bytes are not ASCII)
        marked: object = inner.get("X-HmXmrOriginalRecipient")
        if not marked and not info.sender.endswith(_SENDERS):
            return None  # an anonymised sender: Outlook.com's own header must be there
        value: object = marked or inner.get("To") or ""
        m = ADDR_RE.search(str(value))
        if m is None:
            return None
        return Detection(
            kind="complaint",
            recipients=[RecipientReport(address=m.group(0))],
            feedback_type="abuse",
        )
