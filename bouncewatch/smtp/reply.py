"""RFC 5321 reply codes (550) and the "<reply code> <status> <text>" phrases that carry them."""

from __future__ import annotations

import re

from bouncewatch.smtp.status import extract_status
from bouncewatch.smtp.text import first_standalone, squash, standalone_matches

#: an SMTP reply code at the start of a line or after "smtp;" / "said:" etc, followed by
#: a space, a hyphen (multi-line reply) or end of text.
REPLY_RE = re.compile(r"([245][0-5]\d)(?=[ \-]|$)")

#: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found…" — a reply code, a status
#: and the text after them on the same line (up to a quote that ends it: "returned '550 …'").
CODE_LINE_RE = re.compile(r"([245]\d\d)[ \-]+([245]\.\d{1,3}\.\d{1,3})(?![\d.])([^\n'\"]*)")


def extract_reply_code(text: str | None) -> int | None:
    """The first SMTP reply code in `text` (550), or None."""
    if not text:
        return None
    m = first_standalone(REPLY_RE, text)
    return int(m.group(1)) if m else None


def extract_codes(text: str | None) -> tuple[str | None, int | None]:
    """(status, smtp_code) found in `text`; either may be None."""
    return extract_status(text), extract_reply_code(text)


def find_code_lines(text: str) -> list[tuple[int, str, str]]:
    """Every "<reply code> <status> <text>" phrase in free text: (smtp_code, status, whole phrase)."""
    out = []
    for m in standalone_matches(CODE_LINE_RE, text):
        phrase = squash(m.group(0)) or ""
        out.append(
            (int(m.group(1)), extract_status(m.group(2)) or m.group(2), phrase.rstrip(" .;,"))
        )
    return out
