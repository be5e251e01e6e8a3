"""Trend Micro InterScan Messaging Security Suite / InterScan VirusWall notices, from
postmaster ("InterScan Notification"), Subject "Mail could not be delivered":

    *************************************************************
    Message from InterScan Messaging Security Suite
    Unable to deliver message to <nobody@example.jp> (and other recipients in the same
    domain). Please check if address is correct.
    *************************************************************

VirusWall writes the SMTP exchange too ("Sent <<< RCPT TO:<…>", "Received >>> 550 …"): the
server's reply is then the diagnostic.
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

_MARKER_RE = lazy_compile(r"Message from InterScan (?:Messaging Security Suite|VirusWall|[\w ]+)")
_LINE_RE = lazy_compile(
    r"^((?:Unable to deliver message|Sent <<<|Received >>>|Undeliverable).*?<("
    + ADDR_RE.pattern
    + r")>.*)$",
    re.M,
)


class TrendMicroDetector:
    """Trend Micro InterScan: "Message from InterScan …" + "Unable to deliver message to <…>"."""

    name = "trendmicro"
    title = "Trend Micro InterScan (IMSS, VirusWall)"
    description = (
        '"InterScan Notification" sender or Subject "Mail could not be delivered"; "Message from'
        ' InterScan …", "Unable to deliver message to <…>"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/InterScanMSS.pm (decoder source)"
    screened = True
    needs = ("Message from InterScan ",)  # what its first pattern starts with

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (
            "interscan" in info.raw.get("from", "").lower()
            or info.subject.startswith("mail could not be delivered")
        ):
            return None
        text = body_text(msg)
        if _MARKER_RE.search(text) is None:
            return None
        lines: dict[str, list[str]] = {}
        for m in _LINE_RE.finditer(text):
            lines.setdefault(m.group(2).lower(), []).append(" ".join(m.group(1).split()))
        out = []
        for m in _LINE_RE.finditer(text):
            mine = lines.pop(m.group(2).lower(), None)
            if mine is None:
                continue
            # the server's own reply ("Received >>> 550 …") says more than InterScan's summary
            reply = [
                ln[len("Received >>>") :].strip() for ln in mine if ln.startswith("Received >>>")
            ]
            out.append(report(m.group(2), "failed", reply[0] if reply else mine[-1]))
        return bounce(out)
