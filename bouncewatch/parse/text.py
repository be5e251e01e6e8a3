"""Small text helpers every decoder needs: status codes and reply codes out of free text."""

from __future__ import annotations

import re
from collections.abc import Iterator

#: RFC 3463 enhanced status code: class 2/4/5, subject 0-7 (up to 3 digits), detail up to 3 digits.
#: (Not preceded by a digit or a dot: checked by `_matches`, not by a look-behind, which would
#: make the regex engine try it at every position -- four times slower on long texts.)
_STATUS_RE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
#: an SMTP reply code at the start of a line or after "smtp;" / "said:" etc, followed by
#: a space, a hyphen (multi-line reply) or end of text.
_REPLY_RE = re.compile(r"([245][0-5]\d)(?=[ \-]|$)")


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern`'s matches in `text` that do not follow a digit or a dot."""
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return
        start = m.start()
        if start == 0 or text[start - 1] not in _DIGIT_OR_DOT:
            yield m
            pos = m.end()
        else:
            pos = start + 1


_DIGIT_OR_DOT = frozenset("0123456789.")


def _first(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first of `_matches` (inlined: these run several times per recipient)."""
    m = pattern.search(text)
    while m is not None:
        start = m.start()
        if start == 0 or text[start - 1] not in _DIGIT_OR_DOT:
            return m
        m = pattern.search(text, start + 1)
    return None


def extract_status(text: str | None) -> str | None:
    """The first RFC 3463 status code in `text` ("5.1.1"), or None."""
    if not text:
        return None
    m = _first(_STATUS_RE, text)
    if m is None:
        return None
    cls, subject, detail = m.groups()
    if (subject[0] == "0" and len(subject) > 1) or (detail[0] == "0" and len(detail) > 1):
        return f"{cls}.{int(subject)}.{int(detail)}"  # "5.01.001" -> "5.1.1"
    return m.group(0)


def extract_reply_code(text: str | None) -> int | None:
    """The first SMTP reply code in `text` (550), or None."""
    if not text:
        return None
    m = _first(_REPLY_RE, text)
    return int(m.group(1)) if m else None


def extract_codes(text: str | None) -> tuple[str | None, int | None]:
    """(status, smtp_code) found in `text`; either may be None."""
    return extract_status(text), extract_reply_code(text)


def squash(text: str | None) -> str | None:
    """Collapse runs of white space (folded headers, wrapped lines) to one space."""
    if text is None:
        return None
    out = " ".join(text.split())
    return out or None


_SCRIPT_STYLE_RE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
_BLOCK_TAG_RE = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d|/table|p|div|tr|li|hr)\b[^>]*>", re.I)
_TAG_RE = re.compile(r"<[^>]*>")
_BLANKS_RE = re.compile(r"[ \t\r\f\v\xa0]+")


def strip_html(html: str) -> str:
    """Readable text out of HTML: scripts/styles dropped, block tags become line breaks."""
    from html import unescape

    text = _SCRIPT_STYLE_RE.sub(" ", html)
    text = _BLOCK_TAG_RE.sub("\n", text)
    text = unescape(_TAG_RE.sub(" ", text))
    # one substitution over the text instead of one per line (the blanks never span a line
    # break, so the lines come out the same)
    text = _BLANKS_RE.sub(" ", "\n".join(text.splitlines()))
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


#: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found…" — a reply code, a status
#: and the text after them on the same line (up to a quote that ends it: "returned '550 …'").
_CODE_LINE_RE = re.compile(r"([245]\d\d)[ \-]+([245]\.\d{1,3}\.\d{1,3})(?![\d.])([^\n'\"]*)")


def find_code_lines(text: str) -> list[tuple[int, str, str]]:
    """Every "<reply code> <status> <text>" phrase in free text: (smtp_code, status, whole phrase)."""
    out = []
    for m in _matches(_CODE_LINE_RE, text):
        phrase = squash(m.group(0)) or ""
        out.append(
            (int(m.group(1)), extract_status(m.group(2)) or m.group(2), phrase.rstrip(" .;,"))
        )
    return out


class FoldedPattern:
    """A case-insensitive search made fast: an `re.I` pattern over an alternation of words
    tries every alternative at every position (Python's engine has no literal prefix to skip
    to under IGNORECASE).  ASCII text is lower-cased and searched by the same pattern without
    the flag -- for ASCII, exactly the same matches; other text goes to the `re.I` pattern.
    The pattern must be written in lower case."""

    __slots__ = ("folded", "pattern")

    def __init__(self, pattern: str) -> None:
        if pattern != pattern.lower():
            raise ValueError("FoldedPattern needs a lower-case pattern")
        self.pattern = re.compile(pattern, re.I)
        self.folded = re.compile(pattern)

    def search(self, text: str) -> re.Match[str] | None:
        if text.isascii():
            return self.folded.search(text.lower())
        return self.pattern.search(text)


def is_generic_status(status: str | None) -> bool:
    """True for a missing status or one that says only its class ("5.0.0", "4.0.0")."""
    return status is None or status.endswith(".0.0")


def explanation_after(text: str, address: str, limit: int = 600) -> str | None:
    """The reason a human-readable bounce gives for `address`: the rest of the line that names
    it and the indented lines under it (Postfix "<a@b>: host … said: …", Exim "  a@b\\n
    Unrouteable address").  None when the address is not in the text or nothing follows."""
    lowered = text.lower()
    needle = address.lower()
    start = 0
    while True:
        pos = lowered.find(needle, start)
        if pos < 0:
            return None
        start = pos + len(needle)
        eol = text.find("\n", start)
        eol = len(text) if eol < 0 else eol
        lines = []
        rest = text[start:eol].lstrip(" \t>:;,)").rstrip(" \t:;,")
        if rest:
            lines.append(rest)
        for line in text[eol + 1 : eol + 1 + limit * 2].split("\n"):
            if not line.strip() or line[:1] not in (" ", "\t"):
                break
            lines.append(line.strip())
        found = squash(" ".join(lines))
        if found:
            return found[:limit]
