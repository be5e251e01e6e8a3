"""BIGLOBE (and the Japanese cable ISPs on its platform: inacatv, tmtv, ttv) returned mail,
from postmaster@….ne.jp, Subject "Returned mail: …":

       ----- The following addresses had delivery problems -----
    nobody@example.biglobe.ne.jp

       ----- Non-delivered information -----
    The number of messages in recipient's mailbox exceeded the local limit.

The non-delivered information is the diagnostic of every address listed above it.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    body_text,
    bounce,
    cut,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_PROBLEMS_RE = lazy_compile(
    r"^[ \t]*-+ The following addresses had delivery problems -+[ \t]*$", re.M
)
_PROBLEMS = " The following addresses had delivery problems -"
_INFO_RE = lazy_compile(r"^[ \t]*-+ Non-delivered information -+[ \t]*$", re.M)
_ENDS = ("\n--", "Content-Type: message/rfc822")


class BiglobeDetector:
    """BIGLOBE: "The following addresses had delivery problems" + "Non-delivered information"."""

    name = "biglobe"
    title = "BIGLOBE (and inacatv, tmtv, ttv)"
    description = (
        'postmaster@… sender, Subject "Returned mail:"; "----- The following addresses had'
        ' delivery problems -----", "----- Non-delivered information -----"'
    )
    reference = "Sisimai lib/Sisimai/Lhost/Biglobe.pm (decoder source)"
    screened = True
    needs = (_PROBLEMS,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not (info.daemon or info.subject.startswith("returned mail")):
            return None
        text = body_text(msg)
        if _PROBLEMS not in text:  # what _PROBLEMS_RE needs, found without the regex
            return None
        problems = _PROBLEMS_RE.search(text)
        if problems is None:
            return None
        info_at = _INFO_RE.search(text, problems.end())
        listed = text[problems.end() : info_at.start() if info_at else None]
        why = " ".join(cut(text[info_at.end() :], *_ENDS).split()) if info_at else ""
        return bounce(
            report(m.group(1), "failed", why or None) for m in ADDR_LINE_RE.finditer(listed)
        )
