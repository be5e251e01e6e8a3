"""Small text helpers every decoder needs: status codes and reply codes out of free text."""

from __future__ import annotations

import re

#: RFC 3463 enhanced status code: class 2/4/5, subject 0-7 (up to 3 digits), detail up to 3 digits.
_STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
#: an SMTP reply code at the start of a line or after "smtp;" / "said:" etc, followed by
#: a space, a hyphen (multi-line reply) or end of text.
_REPLY_RE = re.compile(r"(?<![\d.])([245][0-5]\d)(?=[ \-]|$)")


def extract_status(text: str | None) -> str | None:
    """The first RFC 3463 status code in `text` ("5.1.1"), or None."""
    if not text:
        return None
    m = _STATUS_RE.search(text)
    return f"{m.group(1)}.{int(m.group(2))}.{int(m.group(3))}" if m else None


def extract_reply_code(text: str | None) -> int | None:
    """The first SMTP reply code in `text` (550), or None."""
    if not text:
        return None
    m = _REPLY_RE.search(text)
    return int(m.group(1)) if m else None


def extract_codes(text: str | None) -> tuple[str | None, int | None]:
    """(status, smtp_code) found in `text`; either may be None."""
    return extract_status(text), extract_reply_code(text)


_WS_RE = re.compile(r"\s+")


def squash(text: str | None) -> str | None:
    """Collapse runs of white space (folded headers, wrapped lines) to one space."""
    if text is None:
        return None
    out = _WS_RE.sub(" ", text).strip()
    return out or None
