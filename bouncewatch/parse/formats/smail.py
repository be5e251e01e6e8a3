"""Smail 3 returned mail, and Deutsche Telekom / T-Online's fork of it (Exim's ancestor;
"mail failed, returning to sender"):

    |------------------------- Failed addresses follow: ---------------------|
     <nobody@t-online.de>
       552 5.2.2 <nobody@t-online.de> Quota exceeded (mailbox for user is full)

    |------------------------- Message header follows: ----------------------|

Plain Smail writes " nobody@example.org ... failed: unknown host" on one line, and may put
a "Message log follows:" section before the addresses, whose text explains them all.
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
    quoted_headers,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_BANNER_RE = lazy_compile(r"^\|-+ ([A-Za-z ]+) follows?:? -+\|[ \t]*$", re.M)
_BRACKETED_RE = lazy_compile(r"^ <(" + ADDR_RE.pattern + r")>[ \t]*$")
_FAILED_RE = lazy_compile(r"^ (" + ADDR_RE.pattern + r") \.\.\. (?:failed: )?(.*)$")


class SmailDetector:
    """Smail 3 / Deutsche Telekom: "|---- Failed addresses follow: ----|" banners."""

    name = "smail"
    title = "Smail 3, Deutsche Telekom / T-Online"
    description = (
        '"------ Failed addresses follow: ------" banners; " <address>" and its reply, or'
        ' " address ... failed: reason"'
    )
    reference = "http://www.weird.com/~woods/projects/smail.html (Smail 3, src/notify.c)"
    screened = True
    needs = ("|-",)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not message_info(msg).daemon:
            return None
        text = body_text(msg)
        if "|-" not in text:  # no banner (_BANNER_RE): no "failed addresses" section
            return None
        sections: dict[str, str] = {}
        banners = list(_BANNER_RE.finditer(text))
        for i, m in enumerate(banners):
            end = banners[i + 1].start() if i + 1 < len(banners) else len(text)
            sections.setdefault(m.group(1).strip().lower(), text[m.end() : end])
        failed = sections.get("failed addresses")
        if failed is None:
            return None
        log = " ".join(sections.get("message log", "").split())
        out = []
        current: tuple[str, list[str]] | None = None
        for line in failed.split("\n"):
            bracketed, inline = _BRACKETED_RE.match(line), _FAILED_RE.match(line)
            if bracketed or inline:
                if current is not None:
                    out.append(report(current[0], "failed", " ".join(current[1]) or None))
                if bracketed is not None:
                    current = (bracketed.group(1), [])
                elif inline is not None:
                    current = (inline.group(1), [p for p in (log, inline.group(2)) if p])
            elif current is not None and line.strip():
                current[1].append(line.strip())
        if current is not None:
            out.append(report(current[0], "failed", " ".join(current[1]) or None))
        header_block = sections.get("message header") or sections.get("message text")
        extra = {"original_headers": quoted_headers(header_block)} if header_block else {}
        return bounce(out, extra=extra)
