"""MIME helpers shared by the decoders: the report's structure -- status parts, the returned
original, a forwarded report -- and whether a message looks like a bounce at all.

The message is parsed once into the stdlib's compat32 tree (`parse.lean`); these helpers
read that tree without re-parsing it.  Raw 8-bit header bytes come through compat32 as surrogate escapes;
`unescape` turns them back into UTF-8 text.  The part walk is `parse.parts`, the text of the
parts `parse.bodytext`; both are re-exported here for the decoders that import them here.
"""

from __future__ import annotations

import re
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message

from bouncewatch.parse.bodytext import (
    content_charset,
    decode_transfer,
    human_text,
    human_texts,
    part_text,
    payload_bytes,
    readable_text,
)
from bouncewatch.parse.headers import decode_bytes, decode_words, raw, unescape
from bouncewatch.parse.headers import iso_date as iso_date  # re-exported: decoders import it here
from bouncewatch.parse.parts import MAX_DEPTH, content_type, find_part, parts, typed_parts
from bouncewatch.smtp.text import FoldedPattern

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
        try:  # 8-bit bytes the parser kept as escapes go back to the bytes they were
            encoded = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
            encoded = text.encode("utf-8", "replace")
        data = decode_transfer(encoded, cte)
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
    data = payload_bytes(block)
    return data.decode("utf-8", "surrogateescape")


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


#: one header field with its folded continuation lines (the name's trailing blanks are
#: stripped after the match: a lazy name before "[ \t]*:" rescans a long run of blanks from
#: each of its characters)
_HEADER_FIELD_RE = re.compile(r"^([^\s:][^:\n]*):[ \t]*(.*(?:\n[ \t].*)*)", re.M)
_BLANK_RE = re.compile(r"\n[ \t]*\n")


def _headers_from_text(text: str) -> Message:
    """A header block (text/rfc822-headers) as a Message, without the full parser; a body
    after the block (some MTAs send the whole message in this part) is ignored."""
    out = Message()
    block = _BLANK_RE.split(text.lstrip("\r\n"), maxsplit=1)[0]
    # what `out[name] = value` would store under compat32, without its per-field checks
    out._headers = [  # type: ignore[attr-defined]
        (name.rstrip(" \t"), value) for name, value in _HEADER_FIELD_RE.findall(block)
    ]
    return out


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


__all__ = [
    "MAX_DEPTH",
    "ORIGINAL_HEADER_TYPES",
    "ORIGINAL_TYPES",
    "bounce_subject",
    "container_text",
    "content_charset",
    "content_type",
    "decode_bytes",
    "decode_transfer",
    "find_part",
    "forwarded_report",
    "from_mail_system",
    "human_text",
    "human_texts",
    "iso_date",
    "looks_like_bounce",
    "original_headers",
    "part_text",
    "parts",
    "payload_bytes",
    "readable_text",
    "status_blocks",
    "typed_parts",
]
