"""The one text stack: a MIME part's body as text (transfer encoding undone, charset decoded,
LF line endings), HTML stripped to readable lines, and the two views of a message's text the
decoders read -- `human_text` (the first plain and the first HTML part) and `all_text` (every
plain part outside attached messages, or the HTML parts when there is none)."""

from __future__ import annotations

import binascii
import quopri
import re
from collections.abc import Iterator
from email.message import Message
from email.utils import _has_surrogates  # type: ignore[attr-defined]
from typing import cast

from bouncewatch.parse.headers import decode_bytes, raw, unescape
from bouncewatch.parse.parts import content_type, typed_parts

#: charset names real bounces use that Python doesn't know by that name
CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",  # Exchange 2007
    "ks_c_5601-1987": "cp949",
    "iso-8859-8-i": "iso-8859-8",
}


def payload_bytes(part: Message) -> bytes:
    """The decoded body of a leaf part (base64 / quoted-printable undone; damage tolerated)."""
    payload = part._payload  # type: ignore[attr-defined]
    if not isinstance(payload, str):  # what get_payload() gives is a str exactly then
        return b""
    cte = (raw(part, "content-transfer-encoding") or "").lower()
    if cte.strip() == "quoted-printable":
        # soft line breaks must be "=\n" for quopri, whatever the message's line endings
        try:
            text = cast(str, part.get_payload())
        except (ValueError, LookupError):
            # 8-bit bytes under a charset whose codec raises even with errors="replace"
            # (punycode, idna) or whose name holds a NUL: the bytes as they came
            text = payload
        data = _escaped_bytes(text)
        return quopri.decodestring(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    if cte not in _DECODED_CTES:
        # what get_payload(decode=True) returns for an unencoded body, without its lookups
        try:
            return payload.encode("ascii")
        except UnicodeEncodeError:
            pass
        if _has_surrogates(payload):
            return _escaped_bytes(payload)
        return payload.encode("raw-unicode-escape")
    try:
        decoded: object = part.get_payload(decode=True)
    except UnicodeEncodeError:
        # escaped 8-bit bytes beside characters decoded before (a part re-read from text):
        # the standard library cannot make bytes of both; undo the encoding on our own
        return decode_transfer(_escaped_bytes(payload), cte.strip())
    return decoded if isinstance(decoded, bytes) else b""


def _escaped_bytes(text: str) -> bytes:
    """`text` as bytes: escaped 8-bit bytes back to what they were, other characters as
    UTF-8 (characters decoded before), a lone surrogate that is no escaped byte (UTF-7's
    "+2BQ-") passed through."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


#: transfer encodings `Message.get_payload(decode=True)` undoes (compared as it does)
_DECODED_CTES = frozenset({"quoted-printable", "base64", "x-uuencode", "uuencode", "uue", "x-uue"})
#: "type/subtype; charset=utf-8[; …]": the charset read without the stdlib's parameter parser
_SIMPLE_CHARSET_RE = re.compile(
    r'[^;"\\=]*;[ \t]*charset=("?)([A-Za-z0-9_.:+-]+)\1[ \t]*(?:;.*)?', re.I
)


def content_charset(part: Message) -> str | None:
    """`part.get_content_charset()`: read straight from a plain Content-Type header, through
    the stdlib for anything unusual (RFC 2231, comments, 8-bit, folded, charset not first)."""
    value = raw(part, "content-type")
    if value is None or (";" not in value and "=" not in value):
        return None
    m = _SIMPLE_CHARSET_RE.fullmatch(value)
    if m is not None:
        return m.group(2).lower()
    return part.get_content_charset()


_NOT_B64_RE = re.compile(rb"[^A-Za-z0-9+/]")


def decode_transfer(raw: bytes, cte: str) -> bytes:
    if cte == "base64":
        cleaned = _NOT_B64_RE.sub(b"", raw)
        rem = len(cleaned) % 4
        if rem == 1:  # a truncated quantum: drop the stray character
            cleaned = cleaned[:-1]
        elif rem:
            cleaned += b"=" * (4 - rem)
        try:
            return binascii.a2b_base64(cleaned)
        except (binascii.Error, ValueError):
            return raw
    if cte == "quoted-printable":
        return quopri.decodestring(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    return raw


def part_text(part: Message) -> str:
    """A leaf part's body as text, decoded with its charset (unknown charsets read as UTF-8)."""
    charset = content_charset(part)
    text = decode_bytes(payload_bytes(part), CHARSET_ALIASES.get(charset or "", charset))
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def readable_text(part: Message) -> str:
    """Text of a text/plain or text/html part (HTML stripped to readable lines)."""
    text = part_text(part)
    if content_type(part).endswith("/html"):
        return strip_html(text)
    return text


_OPENING_RE = re.compile(r"<(script|style|head)\b", re.I)
_CLOSING_RES = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style", "head")}
# a tag ends before the next "<": an unclosed "<" is scanned up to the next one, not to the end
# of the text (which made text of many unclosed "<" quadratic)
_BLOCK_TAG_RE = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d|/table|p|div|tr|li|hr)\b[^<>]*>", re.I)
_TAG_RE = re.compile(r"<[^<>]*>")
_SPACES_RE = re.compile(r"  +")


def _drop_scripts(html: str) -> str:
    """`html` with each <script>, <style> and <head> element replaced by a space.  Once an
    element has no closing tag, later openings of it are not looked at again (so a text of
    many unclosed "<script" is read once, not once per opening)."""
    pieces: list[str] = []
    pos = 0
    unclosed: set[str] = set()
    while (opening := _OPENING_RE.search(html, pos)) is not None:
        name = opening.group(1).lower()
        closing = None if name in unclosed else _CLOSING_RES[name].search(html, opening.end())
        if closing is None:
            unclosed.add(name)
            pieces.append(html[pos : opening.end()])
            pos = opening.end()
            continue
        pieces.append(html[pos : opening.start()])
        pieces.append(" ")
        pos = closing.end()
    if not pieces:
        return html
    pieces.append(html[pos:])
    return "".join(pieces)


def strip_html(html: str) -> str:
    """Readable text out of HTML: scripts/styles dropped, block tags become line breaks."""
    text = _drop_scripts(html)
    text = _BLOCK_TAG_RE.sub("\n", text)
    from html import unescape as html_unescape  # (its entity table: only when HTML comes)

    text = html_unescape(_TAG_RE.sub(" ", text))
    # each run of blanks becomes one space, over the whole text at once (the blanks never
    # span a line break, so the lines come out the same).  splitlines() has made line breaks
    # of \r, \f and \v: the blanks left are space, tab and no-break space, made spaces by
    # `replace` (a scan for a character), and only runs of two or more are then replaced
    # (a regex replacing every single space costs a match each)
    text = "\n".join(text.splitlines())
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    if "  " in text:
        text = _SPACES_RE.sub(" ", text)
    return "\n".join([stripped for line in text.split("\n") if (stripped := line.strip())])


def human_texts(msg: Message, limit: int = 200_000) -> Iterator[str]:
    """The human-readable parts of a bounce, cheapest first: the first text/plain part, then
    the first text/html part stripped of markup (Exchange puts the details in HTML), then a
    body the parser could not split.  Lazy: a caller that finds what it needs stops early."""
    plain = html = None
    for ctype, part in typed_parts(msg):
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
        if plain is not None and html is not None:
            break
    if plain is not None:
        yield readable_text(plain)[:limit]
    if html is not None:
        yield readable_text(html)[:limit]
    if plain is None and html is None and msg.get_content_maintype() == "multipart":
        # a boundary that never occurs leaves the body unsplit (or all in the preamble)
        # (the payload as parsed: get_payload() would decode it by a charset it may refuse)
        body = msg._payload if not msg.is_multipart() else msg.preamble  # type: ignore[attr-defined]
        if isinstance(body, str):
            yield unescape(body[:limit])


def human_text(msg: Message, limit: int = 200_000) -> str:
    """The human-readable explanation in a bounce: the first text/plain part, else the first
    text/html part stripped of markup; both when both exist (Exchange puts the details in HTML).
    All of `human_texts`, joined."""
    return "\n".join(human_texts(msg, limit))


def all_text(msg: Message, limit: int) -> str:
    """Every text/plain part outside attached messages and status parts, decoded and joined
    by a line break (each cut to `limit` characters); the text/html parts stripped of markup
    when there is no plain text."""
    plain: list[str] = []
    html: list[str] = []
    for ctype, part in typed_parts(msg, keep=False):
        if ctype == "text/plain" or (ctype.startswith("multipart/") and not part.is_multipart()):
            # (a multipart part the parser could not split, its boundary lost on the way: its
            # raw text still holds the report)
            plain.append(leaf_text(part)[:limit])
        elif ctype == "text/html":
            html.append(leaf_text(part)[:limit])
    return "\n".join(plain) if plain else "\n".join(strip_html(h) for h in html)


def leaf_text(part: Message) -> str:
    """`part_text`, or "" for a part whose headers the stdlib cannot read (a charset
    parameter with a NUL in it)."""
    try:
        return part_text(part)
    except ValueError:
        return ""
