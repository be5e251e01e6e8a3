"""MIME helpers shared by the decoders: one walk of the part tree, decoded text, headers.

The message is parsed once with the stdlib compat32 parser; these helpers read that tree
without re-parsing it.  Raw 8-bit header bytes come through compat32 as surrogate escapes;
`unescape` turns them back into UTF-8 text.
"""

from __future__ import annotations

import binascii
import quopri
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.errors import MissingHeaderBodySeparatorDefect
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from weakref import ref

from bouncewatch.parse.text import squash, strip_html

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
    for k, v in part.raw_items():
        if len(k) == 12 and k.lower() == "content-type" and isinstance(v, str):
            ctype = v.split(";", 1)[0].strip().lower()
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
    while stack:
        part, depth = stack.pop()
        ctype = content_type(part)
        out.append((ctype, part))
        if depth >= MAX_DEPTH or not ctype.startswith("multipart/"):
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
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


def unescape(text: str) -> str:
    """compat32 keeps raw 8-bit bytes as surrogate escapes; read them as UTF-8 (or Latin-1)."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        pass
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def raw_all(msg: Message, name: str) -> list[str]:
    """Every value of header `name` exactly as parsed (8-bit bytes still surrogate-escaped;
    compat32's `get` would turn them into replacement characters)."""
    lname, size = name.lower(), len(name)
    return [
        v
        for k, v in msg.raw_items()
        if len(k) == size and k.lower() == lname and isinstance(v, str)
    ]


def raw(msg: Message, name: str) -> str | None:
    """The first value of header `name` as parsed, or None."""
    lname, size = name.lower(), len(name)
    for k, v in msg.raw_items():
        if len(k) == size and k.lower() == lname and isinstance(v, str):
            return v
    return None


def header(msg: Message, name: str) -> str | None:
    """A header's value: encoded words decoded, 8-bit read as UTF-8, white space squashed."""
    value = raw(msg, name)
    if value is None:
        return None
    return decode_words(value)


def decode_words(value: str) -> str | None:
    """Decode RFC 2047 encoded words (tolerating unknown charsets) and squash white space."""
    value = unescape(value)
    if "=?" not in value:
        return squash(value)
    try:
        chunks = decode_header(value)
    except Exception:  # malformed encoded words: keep the raw text
        return squash(value)
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            out.append(_decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    return squash(" ".join(out) if len(out) > 1 and _needs_space(chunks) else "".join(out))


def _needs_space(chunks: list[tuple[bytes | str, str | None]]) -> bool:
    # decode_header drops the white space between an encoded word and plain text
    return any(charset is None for _, charset in chunks)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for cs in (charset or "utf-8", "utf-8"):
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def payload_bytes(part: Message) -> bytes:
    """The decoded body of a leaf part (base64 / quoted-printable undone; damage tolerated)."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return b""
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "quoted-printable":
        # soft line breaks must be "=\n" for quopri, whatever the message's line endings
        raw = payload.encode("utf-8", "surrogateescape")
        return quopri.decodestring(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


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
    text = _decode_bytes(payload_bytes(part), part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def readable_text(part: Message) -> str:
    """Text of a text/plain or text/html part (HTML stripped to readable lines)."""
    text = part_text(part)
    if part.get_content_subtype() == "html":
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
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable"):
        raw = decode_transfer(text.encode("ascii", "surrogateescape"), cte)
        return _decode_bytes(raw, part.get_content_charset() or "utf-8")
    return unescape(text)


def status_blocks(part: Message) -> list[list[tuple[str, str]]] | None:
    """The blocks of a message/*-status part as (lower-case name, raw value) pairs, straight
    from what the stdlib parser made of them; None when the part needs reading as text
    (transfer-encoded, or a block with lines that were not fields)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return None
    cte = part.get("content-transfer-encoding")
    if cte is not None and str(cte).strip().lower() in ("base64", "quoted-printable"):
        return None
    blocks = []
    for block in payload:
        if not isinstance(block, Message) or block.defects or _block_body(block).strip():
            return None
        blocks.append(
            [(k.lower(), unescape(v)) for k, v in block.raw_items() if isinstance(v, str)]
        )
    return blocks


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
                cte = str(part.get("content-transfer-encoding", "")).strip().lower()
                if cte in ("base64", "quoted-printable") and not inner.keys():
                    return _headers_from_text(container_text(part))
                return inner
        elif ctype == "text/rfc822-headers":
            return _headers_from_text(part_text(part))
    return None


_HEADER_LINE_RE = re.compile(r"([^\s:][^:\n]*?)[ \t]*:[ \t]*(.*)")


def _headers_from_text(text: str) -> Message:
    """A header block (text/rfc822-headers) as a Message, without the full parser."""
    out = Message()
    name: str | None = None
    value: list[str] = []
    for line in text.lstrip("\r\n").split("\n"):
        if line[:1] in (" ", "\t") and name is not None:
            value.append(line)
            continue
        if name is not None:
            out[name] = "\n".join(value)
            name = None
        m = _HEADER_LINE_RE.fullmatch(line.rstrip("\r"))
        if m is None:
            if not line.strip():
                break  # end of the header block
            continue
        name, value = m.group(1), [m.group(2)]
    if name is not None:
        out[name] = "\n".join(value)
    return out


_COMPLEX_ADDR_RE = re.compile(r'["()\\:]')
_ANGLE_RE = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_BARE_ADDR_RE = re.compile(r"[^\s<>,;]+@[^\s<>,;]+")


def pick_headers(msg: Message, names: set[str]) -> dict[str, list[str]]:
    """The raw values of the headers in `names` (lower case), in one pass over the message."""
    out: dict[str, list[str]] = {}
    for k, v in msg.raw_items():
        lk = k.lower()
        if lk in names and isinstance(v, str):
            out.setdefault(lk, []).append(v)
    return out


def addresses(msg: Message, name: str) -> list[str]:
    """The bare addresses in every occurrence of header `name`."""
    return address_list(raw_all(msg, name))


def address_list(values: list[str] | tuple[str, ...]) -> list[str]:
    """The bare addresses in raw address-header values."""
    if not values:
        return []
    joined = unescape(",".join(values))
    if not _COMPLEX_ADDR_RE.search(joined):
        # no quotes, comments or groups: the addresses are the <…> or bare tokens with an @
        simple = []
        for item in joined.split(","):
            m = _ANGLE_RE.search(item) or _BARE_ADDR_RE.search(item)
            if m is not None:
                simple.append(m.group(1) if m.lastindex else m.group(0))
        return simple
    out = []
    for _, addr in getaddresses([unescape(v) for v in values]):
        addr = addr.strip().strip("<>").strip()
        if "@" in addr:
            out.append(addr)
    return out


def first_address(msg: Message, name: str) -> str | None:
    found = addresses(msg, name)
    return found[0] if found else None


#: the usual shape of an RFC 5322 date: "[Tue, ]14 May 2024 09:58:15 +0000[ (UTC)]"
_DATE_RE = re.compile(
    r"\s*(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([+-])(\d{2})(\d{2})|UT|UTC|GMT|Z)"
    r"(?:\s*\([^)]*\))?\s*$",
    re.I,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


@lru_cache(maxsize=16)  # a DSN repeats its dates (Date, Arrival-Date, Last-Attempt-Date)
def iso_date(value: str | None) -> str | None:
    """An RFC 5322 date as ISO 8601 UTC ("2024-05-01T10:00:00Z"), or None if unparseable."""
    if not value:
        return None
    m = _DATE_RE.match(value)
    month = _MONTHS.get(m.group(2).lower()) if m else None
    if m is not None and month is not None:
        day, year, hour, minute = int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5))
        offset = 0
        if m.group(7):
            offset = (int(m.group(8)) * 60 + int(m.group(9))) * (-1 if m.group(7) == "-" else 1)
        second = int(m.group(6) or 0)
        if offset == 0 and day <= 28 and hour < 24 and minute < 60 and second < 60:
            return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
        try:
            dt = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            dt -= timedelta(minutes=offset)
            return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"
        except (ValueError, OverflowError):
            return None
    try:
        dt = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        return None


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


_BOUNCE_FROM_RE = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mail administrator|mail system|"
    r"mailer daemon|delivery subsystem|\bmmdf\b|\bsmtp\b|\bmdaemon\b|microsoftexchange",
    re.I,
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver|undelivered|delivery (?:status|failure|failed|has failed|notification)|"
    r"returned mail|mail delivery|failure notice|returned to sender|non[- ]?delivery|"
    r"could not be delivered|delivery problem|rejected|not delivered|nicht zustellbar|"
    r"unzustellbar|non remis|no entregado|non recapitabile|onbestelbaar|warning: could not|"
    r"delayed mail|delivery delayed|message status|mail failure|bounce",
    re.I,
)


def looks_like_bounce(msg: Message) -> bool:
    """Cheap header test: does this message look like a delivery failure at all?"""
    if content_type(msg) == "multipart/report" and (
        # a read receipt (disposition-notification) is a report too, but not a bounce
        "disposition-notification" not in str(msg.get("Content-Type", "")).lower()
    ):
        return True
    if from_mail_system(msg):
        return True
    rp = msg.get("Return-Path")
    if rp is not None and str(rp).strip() in ("<>", ""):
        return True
    return bounce_subject(msg)


def from_mail_system(msg: Message) -> bool:
    """From MAILER-DAEMON / postmaster / "Mail Delivery System", or X-Failed-Recipients set."""
    if msg.get("X-Failed-Recipients"):
        return True
    return bool(_BOUNCE_FROM_RE.search(raw(msg, "From") or ""))


def bounce_subject(msg: Message) -> bool:
    """A subject such as "Undelivered Mail Returned to Sender" or "failure notice"."""
    subject = raw(msg, "Subject")
    return bool(subject and _BOUNCE_SUBJECT_RE.search(decode_words(subject) or ""))
