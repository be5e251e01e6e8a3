"""MIME helpers shared by the decoders: one walk of the part tree, decoded bodies, originals.

The message is parsed once with the stdlib compat32 parser; these helpers read that tree
without re-parsing it.  Raw 8-bit header bytes come through compat32 as surrogate escapes;
`unescape` turns them back into UTF-8 text.
"""

from __future__ import annotations

import binascii
import quopri
import re
from collections.abc import Iterator
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.utils import _has_surrogates  # type: ignore[attr-defined]
from typing import cast
from weakref import ref

from bouncewatch.parse.headers import decode_bytes, decode_words, raw, unescape
from bouncewatch.parse.headers import iso_date as iso_date  # re-exported: decoders import it here
from bouncewatch.parse.text import FoldedPattern, strip_html

#: parts below this depth are not looked at (a 60-deep nest of multiparts is an attack, not mail)
MAX_DEPTH = 40

#: the registry hands one message to every detector in turn: its part list is kept until the
#: next message comes (the list holds the message, so a weak-keyed cache would never let go)
_last_parts: tuple[ref[Message], list[tuple[str, Message]]] | None = None

#: container types whose payload the stdlib parses into blocks/messages we must not descend into
_STATUS_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/feedback-report",
        "message/disposition-notification",
        "message/global-disposition-notification",
    }
)
ORIGINAL_TYPES = frozenset({"message/rfc822", "message/global"})
ORIGINAL_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})


def content_type(part: Message) -> str:
    """`part.get_content_type()`, read from the raw header (the stdlib's `get` sanitises and
    lower-cases every header name on the way, for every call)."""
    for k, v in part._headers:  # type: ignore[attr-defined]
        if len(k) == 12 and (k == "Content-Type" or k.lower() == "content-type"):
            if not isinstance(v, str):
                continue
            ctype = v.partition(";")[0].strip().lower()
            return ctype if ctype.count("/") == 1 else "text/plain"
    return part.get_default_type()


def typed_parts(msg: Message) -> list[tuple[str, Message]]:
    """(content type, part) for every part of `msg` (itself first), depth-first, without
    entering status blocks or attached messages.  Computed once per message and cached."""
    global _last_parts
    last = _last_parts
    if last is not None and last[0]() is msg:
        return last[1]
    out: list[tuple[str, Message]] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    pop, push, append = stack.pop, stack.append, out.append
    while stack:
        part, depth = pop()
        ctype = content_type(part)
        append((ctype, part))
        if depth < MAX_DEPTH and ctype.startswith("multipart/"):
            payload = part._payload  # type: ignore[attr-defined]  # get_payload() gives it
            if isinstance(payload, list):
                for p in reversed(payload):
                    if isinstance(p, Message):
                        push((p, depth + 1))
    _last_parts = (ref(msg), out)
    return out


def parts(msg: Message) -> list[Message]:
    """Every part of `msg` (itself first); see `typed_parts`."""
    return [part for _, part in typed_parts(msg)]


def find_part(msg: Message, *ctypes: str) -> Message | None:
    """The first part whose content type is one of `ctypes`."""
    for ctype, part in typed_parts(msg):
        if ctype in ctypes:
            return part
    return None


def payload_bytes(part: Message) -> bytes:
    """The decoded body of a leaf part (base64 / quoted-printable undone; damage tolerated)."""
    payload = part._payload  # type: ignore[attr-defined]
    if not isinstance(payload, str):  # what get_payload() gives is a str exactly then
        return b""
    cte = (raw(part, "content-transfer-encoding") or "").lower()
    if cte.strip() == "quoted-printable":
        # soft line breaks must be "=\n" for quopri, whatever the message's line endings
        data = cast(str, part.get_payload()).encode("utf-8", "surrogateescape")
        return quopri.decodestring(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    if cte not in _DECODED_CTES:
        # what get_payload(decode=True) returns for an unencoded body, without its lookups
        try:
            return payload.encode("ascii")
        except UnicodeEncodeError:
            pass
        if _has_surrogates(payload):
            return payload.encode("ascii", "surrogateescape")
        return payload.encode("raw-unicode-escape")
    decoded: object = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


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
    text = decode_bytes(payload_bytes(part), content_charset(part))
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def readable_text(part: Message) -> str:
    """Text of a text/plain or text/html part (HTML stripped to readable lines)."""
    text = part_text(part)
    if content_type(part).endswith("/html"):
        return strip_html(text)
    return text


def container_text(part: Message) -> str:
    """The text of a message/* status part (delivery-status, feedback-report…), rebuilt from
    the blocks the stdlib parsed it into; base64/qp encoded status parts are decoded."""
    payload = part.get_payload()
    if isinstance(payload, str):
        text = payload
    else:
        chunks = []
        for block in payload if isinstance(payload, list) else [payload]:
            if not isinstance(block, Message):
                continue
            lines = [f"{k}: {v}" for k, v in block.raw_items()]
            body = _block_body(block)
            if body:
                # a line that was not a field ended the block's "headers" without a blank line
                if lines and not any(
                    isinstance(d, MissingHeaderBodySeparatorDefect) for d in block.defects
                ):
                    lines.append("")
                lines.append(body)
            chunks.append("\n".join(lines))
        text = "\n\n".join(chunks)
    cte = (raw(part, "content-transfer-encoding") or "").strip().lower()
    if cte in ("base64", "quoted-printable"):
        data = decode_transfer(text.encode("ascii", "surrogateescape"), cte)
        return decode_bytes(data, content_charset(part) or "utf-8")
    return unescape(text)


def status_blocks(part: Message) -> list[list[tuple[str, str]]] | None:
    """The blocks of a message/*-status part as (lower-case name, raw value) pairs, straight
    from what the stdlib parser made of them; None when the part needs reading as text
    (transfer-encoded, or a block with lines that were not fields)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return None
    cte = raw(part, "content-transfer-encoding")
    if cte is not None and cte.strip().lower() in ("base64", "quoted-printable"):
        return None
    blocks = []
    for block in payload:
        if not isinstance(block, Message) or block.defects or _has_body(block):
            return None
        blocks.append(
            [
                (k.lower(), v if v.isascii() else unescape(v))
                for k, v in block._headers  # type: ignore[union-attr]  # see headers.items
                if isinstance(v, str)
            ]
        )
    return blocks


def _has_body(block: Message) -> bool:
    """Does a status block hold lines after its fields?  (Its payload is read only when it
    is not plain white space, which decodes to nothing whatever the encoding.)"""
    payload = block._payload  # type: ignore[attr-defined]
    if isinstance(payload, str) and (not payload or payload.isspace()):
        return False
    return bool(_block_body(block).strip())


def _block_body(block: Message) -> str:
    # get_payload() would turn 8-bit bytes into U+FFFD; decode=True hands back the raw bytes
    if block.is_multipart():
        return ""
    data = block.get_payload(decode=True)
    return data.decode("ascii", "surrogateescape") if isinstance(data, bytes) else ""


def original_headers(msg: Message) -> Message | None:
    """The headers of the message a report returns (message/rfc822, message/global,
    text/rfc822-headers or message/global-headers part), or None."""
    for ctype, part in typed_parts(msg):
        if ctype in ORIGINAL_TYPES or ctype == "message/global-headers":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                inner = payload[0]
                cte = (raw(part, "content-transfer-encoding") or "").strip().lower()
                if cte in ("base64", "quoted-printable") and not inner.keys():
                    return _headers_from_text(container_text(part))
                return inner
        elif ctype == "text/rfc822-headers":
            return _headers_from_text(part_text(part))
    return None


#: one header field with its folded continuation lines
_HEADER_FIELD_RE = re.compile(r"^([^\s:][^:\n]*?)[ \t]*:[ \t]*(.*(?:\n[ \t].*)*)", re.M)
_BLANK_RE = re.compile(r"\n[ \t]*\n")


def _headers_from_text(text: str) -> Message:
    """A header block (text/rfc822-headers) as a Message, without the full parser; a body
    after the block (some MTAs send the whole message in this part) is ignored."""
    out = Message()
    block = _BLANK_RE.split(text.lstrip("\r\n"), maxsplit=1)[0]
    # what `out[name] = value` would store under compat32, without its per-field checks
    out._headers = _HEADER_FIELD_RE.findall(block)  # type: ignore[attr-defined]
    return out


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
    if plain is not None:
        yield readable_text(plain)[:limit]
    if html is not None:
        yield readable_text(html)[:limit]
    if plain is None and html is None and msg.get_content_maintype() == "multipart":
        body = msg.get_payload() if not msg.is_multipart() else msg.preamble
        if isinstance(body, str):
            yield unescape(body[:limit])


def human_text(msg: Message, limit: int = 200_000) -> str:
    """The human-readable explanation in a bounce: the first text/plain part, else the first
    text/html part stripped of markup; both when both exist (Exchange puts the details in HTML)."""
    plain = html = None
    for ctype, part in typed_parts(msg):
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html is None:
            html = part
        if plain is not None and html is not None:
            break
    chunks = [readable_text(p)[:limit] for p in (plain, html) if p is not None]
    if not chunks and msg.get_content_maintype() == "multipart":
        # a boundary that never occurs leaves the body unsplit (or all in the preamble)
        body = msg.get_payload() if not msg.is_multipart() else msg.preamble
        if isinstance(body, str):
            chunks.append(unescape(body[:limit]))
    return "\n".join(chunks)


_BOUNCE_FROM_RE = FoldedPattern(
    r"mailer-daemon|postmaster|mail delivery|mail administrator|mail system|"
    r"mailer daemon|delivery subsystem|\bmmdf\b|\bsmtp\b|\bmdaemon\b|microsoftexchange",
)
_BOUNCE_SUBJECT_RE = FoldedPattern(
    r"undeliver|undelivered|delivery (?:status|failure|failed|has failed|notification)|"
    r"returned mail|mail delivery|failure notice|returned to sender|non[- ]?delivery|"
    r"could not be delivered|delivery problem|rejected|not delivered|nicht zustellbar|"
    r"unzustellbar|non remis|no entregado|non recapitabile|onbestelbaar|warning: could not|"
    r"delayed mail|delivery delayed|message status|mail failure|bounce",
)


def looks_like_bounce(msg: Message) -> bool:
    """Cheap header test: does this message look like a delivery failure at all?"""
    if content_type(msg) == "multipart/report" and (
        # a read receipt (disposition-notification) is a report too, but not a bounce
        "disposition-notification" not in (raw(msg, "Content-Type") or "").lower()
    ):
        return True
    if from_mail_system(msg):
        return True
    rp = raw(msg, "Return-Path")
    if rp is not None and rp.strip() in ("<>", ""):
        return True
    return bounce_subject(msg)


def from_mail_system(msg: Message) -> bool:
    """From MAILER-DAEMON / postmaster / "Mail Delivery System", or X-Failed-Recipients set."""
    if raw(msg, "X-Failed-Recipients"):
        return True
    return bool(_BOUNCE_FROM_RE.search(raw(msg, "From") or ""))


def bounce_subject(msg: Message) -> bool:
    """A subject such as "Undelivered Mail Returned to Sender" or "failure notice"."""
    subject = raw(msg, "Subject")
    return bool(subject and _BOUNCE_SUBJECT_RE.search(decode_words(subject) or ""))


def forwarded_report(msg: Message) -> Message | None:
    """A delivery report attached whole to a message that is no report itself (a bounce
    forwarded by a person, a help desk or a sending service's bounce forwarding), or None.
    Only the top-level parts are looked at: the report is what was forwarded, not something
    quoted deeper down."""
    if content_type(msg) == "multipart/report" or not msg.is_multipart():
        return None
    for part in msg.get_payload():
        if not isinstance(part, Message) or content_type(part) not in ORIGINAL_TYPES:
            continue
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            report = inner[0]
            if content_type(report) == "multipart/report" and (
                "delivery-status" in (raw(report, "Content-Type") or "").lower()
            ):
                return report
    return None
