"""fml (a Japanese mailing-list manager) rejections: the list refuses a post, and says so to
the sender.  The failed address is the list's own:

    Subject: You sender@example.org are not member (neko ML)
    X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]

    You are not a member of this mailing list <neko@example.org>.

Other refusals of the same shape: "… is not allowed to post to this list", "rejected by the
ML administrator".
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import ADDR_RE, body_text, message_info, report
from bouncewatch.parse.lazyre import lazy_compile

_SENTENCE_RE = lazy_compile(
    r"^((?:You are not a member of this mailing list|.* not allowed to post to|"
    r".*rejected by the ML)[^<\n]*<(" + ADDR_RE.pattern + r")>.*)$",
    re.M,
)


class FmlDetector:
    """fml: X-MLServer "fml", "You are not a member of this mailing list <list>"."""

    name = "fml"
    title = "fml mailing-list manager refusals"
    description = (
        'X-MLServer "fml" (or X-ML-Info); "You are not a member of this mailing list <…>":'
        " the list address is the failed recipient"
    )
    reference = "https://www.fml.org/software/fml-project/ (fml)"
    screened = False  # sent by the list's admin address with an ordinary subject

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        server = info.raw.get("x-mlserver", "")
        if "fml" not in server.lower():
            return None
        m = _SENTENCE_RE.search(body_text(msg))
        if m is None:
            return None
        return Detection(
            kind="bounce", recipients=[report(m.group(2), "failed", m.group(1).strip())]
        )
