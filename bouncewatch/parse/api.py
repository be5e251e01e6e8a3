"""decode_message: bytes in, DecodedMessage out (recipients not classified: that is
`bouncewatch.analyze`).  Pure, and never raises on bad input."""

from __future__ import annotations

import dataclasses
import re
import time
from email.message import Message
from functools import lru_cache
from typing import Any

from bouncewatch.model import (
    ACTIONS,
    DEFAULT_PARSE_OPTIONS,
    DecodedMessage,
    ParseOptions,
    RecipientReport,
)
from bouncewatch.parse import registry, verp
from bouncewatch.parse.base import check_deadline
from bouncewatch.parse.dsn_recovery import command_said, texts_of
from bouncewatch.parse.headers import (
    address_list,
    decode_words,
    iso_date,
    pick_headers,
    unescape,
)
from bouncewatch.parse.lean import read_message
from bouncewatch.parse.mime import (
    forwarded_report,
    human_text,
    looks_like_bounce,
    original_headers,
)
from bouncewatch.parse.text import extract_reply_code, extract_status, find_code_lines, squash

#: multipart boundaries honoured in one message: the standard library's parser checks every
#: line against every enclosing boundary (lines x depth), so a message nested thousands deep
#: costs the square of its size.  Real bounces nest a few levels; past this many boundary
#: parameters the rest are renamed and their parts read as text.
MAX_BOUNDARIES = 64
#: longer runs of empty lines are shortened to this (no report has twenty blank lines in a row)
_BLANK_RUN = b"\n" * 21
_BLANK_RUN_RE = re.compile(rb"\n{22,}")
_BOUNDARY_RE = re.compile(rb"(?i)\bboundary(?=\s*=)")
#: message/* parts honoured in one message: the standard parser recurses once per message/*
#: part it opens (and gives up at Python's recursion limit, a few hundred deep); past this
#: many, the rest are read as text
MAX_MESSAGE_PARTS = 64
_MESSAGE_TYPE_RE = re.compile(rb"(?im)^content-type:[ \t]*(message/)")
_LIST_ID_RE = re.compile(r"<([^<>]+)>")


def decode_message(
    data: bytes | bytearray | memoryview, options: ParseOptions = DEFAULT_PARSE_OPTIONS
) -> DecodedMessage:
    """Decode one raw message.  Never raises on bad input: errors go into DecodedMessage.error
    (in the compiled build, an argument of another type than these raises TypeError)."""
    try:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"expected bytes, got {type(data).__name__}")
        return _parse(data if type(data) is bytes else bytes(data), options)
    except Exception as exc:
        return DecodedMessage(
            kind="not_bounce", detector="none", error=f"{type(exc).__name__}: {exc}"
        )


def _parse(data: bytes, options: ParseOptions) -> DecodedMessage:
    budget = options.time_budget
    deadline = time.monotonic() + budget if budget is not None else None
    errors: list[str] = []
    if len(data) > options.max_bytes:
        errors.append(
            f"Truncated: message is {len(data)} bytes, parsed the first {options.max_bytes}"
        )
        data = data[: options.max_bytes]
    if b"\r" in data:
        # one line-ending convention for every decoder: CRLF (SMTP, IMAP) and bare CR become LF,
        # so quoted-printable soft breaks, folded fields and line regexes behave the same
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if _BLANK_RUN in data:
        # a run of thousands of empty lines is thousands of empty header blocks to the
        # standard parser inside a message/delivery-status part (a Message object each)
        data = _BLANK_RUN_RE.sub(_BLANK_RUN, data)
    data = _cap_boundaries(data, errors)
    data = _cap_message_parts(data, errors)
    msg = read_message(data)  # the standard parser's tree, built faster (parse.lean)
    name, found, detector_errors = registry.detect(msg, deadline=deadline)
    errors.extend(detector_errors)
    report = msg  # the message that holds the report: `msg`, or a report forwarded in it
    if found is None or name == "flufl":
        # a bounce forwarded as an attachment: the report inside says more than the
        # heuristics can read from the wrapper (or than nothing at all)
        inner = forwarded_report(msg)
        if inner is not None:
            inner_name, inner_found, inner_errors = registry.detect(inner, deadline=deadline)
            errors.extend(inner_errors)
            if inner_found is not None and inner_found.recipients:
                name, found, report = f"{inner_name}+forwarded", inner_found, inner

    reports = [_valid_text(r) for r in found.recipients] if found is not None else []
    kind = found.kind if found is not None else "not_bounce"
    if not reports and kind in ("dsn", "bounce", "not_bounce", "complaint"):
        address = verp.recipient(msg, options.verp)
        if address and (found is not None or looks_like_bounce(msg)):
            reports = [_verp_report(msg, address, kind)]
            name = f"{name}+verp" if found is not None else "verp"
            if found is None:
                kind = "bounce"
    if found is not None and not reports and kind != "auto_reply":
        errors.append(f"NoRecipients: {name} recognised a {kind} but found no recipient")

    check_deadline(deadline, "after the detectors")
    reporting_mta = found.reporting_mta if found is not None else None
    if reporting_mta is not None:
        reporting_mta = unescape(reporting_mta)
    final = found is not None and found.final
    wanted, wanted_theirs = _wanted(options.list_source_headers)
    own = pick_headers(msg, wanted)
    original = original_headers(report) if kind != "not_bounce" else None
    theirs = pick_headers(original, wanted_theirs) if original is not None else {}
    if original is None and found is not None and found.extra:
        # notifications that carry no returned message (Amazon SES) give the sent message's
        # headers and Message-ID in their own fields
        theirs = _headers_from_extra(found.extra, wanted_theirs)
    envelope_to, sender = verp.envelope_headers(msg)
    return DecodedMessage(
        kind=kind,
        detector=name if kind != "not_bounce" else "none",
        reports=tuple(reports),
        said_commands=said_commands(reports, report) if options.said_commands else (),
        final=final,
        message_id=_first(own, "message-id"),
        subject=_first(own, "subject"),
        date=iso_date(own["date"][0]) if "date" in own else None,
        reporting_mta=reporting_mta,
        arrival_date=found.arrival_date if found is not None else None,
        original_message_id=_first(theirs, "message-id"),
        original_to=tuple(address_list(theirs.get("to", ()))),
        original_from=next(iter(address_list(theirs.get("from", ()))), None),
        original_subject=_first(theirs, "subject"),
        list_source=_list_source(theirs, own, options) if kind != "not_bounce" else None,
        feedback_type=found.feedback_type if found is not None else None,
        envelope_to=envelope_to,
        sender=sender,
        # an error may quote bytes of the message (a charset name): keep it valid text
        error="; ".join(errors).encode("utf-8", "replace").decode("utf-8") or None,
        extra=dict(found.extra) if found is not None else {},
    )


def _cap_boundaries(data: bytes, errors: list[str]) -> bytes:
    """`data` with the boundary parameters past MAX_BOUNDARIES renamed (see there)."""
    if data.count(b"oundary") <= MAX_BOUNDARIES:  # cheap test first: nearly every message
        return data
    return _rename_past(
        data, _BOUNDARY_RE, MAX_BOUNDARIES, b"x-ignored-boundary", "multipart boundaries", errors
    )


def _cap_message_parts(data: bytes, errors: list[str]) -> bytes:
    """`data` with the message/* content types past MAX_MESSAGE_PARTS made text (see there)."""
    if data.count(b"essage/") <= MAX_MESSAGE_PARTS:  # cheap test first: nearly every message
        return data
    return _rename_past(
        data, _MESSAGE_TYPE_RE, MAX_MESSAGE_PARTS, b"text/x-ignored-", "message/* parts", errors
    )


def _rename_past(
    data: bytes, pattern: re.Pattern[bytes], limit: int, new: bytes, what: str, errors: list[str]
) -> bytes:
    """`data` with the pattern's matches past the first `limit` replaced by `new` (its group 1
    where it has one), and a MimeNesting error saying so."""
    found = list(pattern.finditer(data))
    if len(found) <= limit:
        return data
    errors.append(
        f"MimeNesting: {len(found)} {what}; parts past the first {limit} are read as text"
    )
    group = 1 if pattern.groups else 0
    pieces = []
    last = 0
    for m in found[limit:]:
        pieces.append(data[last : m.start(group)])
        pieces.append(new)
        last = m.end(group)
    pieces.append(data[last:])
    return b"".join(pieces)


@lru_cache(maxsize=8)
def _wanted(list_source_headers: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(headers read from the bounce, headers read from the returned message), lower case."""
    own = frozenset({"message-id", "subject", "date", *(h.lower() for h in list_source_headers)})
    return own, own | {"to", "from"}


def said_commands(reports: list[RecipientReport], msg: Message) -> tuple[str | None, ...]:
    """Per report, the SMTP command the report says its refusal answered: in the diagnostic,
    else in the text about the address.  For the output only: the decoders fill
    `RecipientReport.command` where the classification needs it, and it reads only that."""
    texts = None
    out: list[str | None] = []
    for r in reports:
        command = r.command
        if command is None and r.action in ("failed", None):
            texts = texts if texts is not None else texts_of(msg)
            command = command_said(r, texts)
        out.append(command)
    return tuple(out)


def _verp_report(msg: Message, address: str, kind: str) -> RecipientReport:
    """A recipient known only from the return path: status and diagnostic from the text."""
    if kind == "complaint":
        return RecipientReport(address=address)
    codes = find_code_lines(human_text(msg))
    if codes:
        code, status, phrase = codes[0]
        return RecipientReport(
            address, "failed" if status[0] == "5" else "delayed", status, code, phrase
        )
    text = squash(human_text(msg)[:2000])
    found = extract_status(text)
    action = "delayed" if found and found[0] == "4" else "failed"
    return RecipientReport(address, action, found, extract_reply_code(text), None)


def _headers_from_extra(extra: dict[str, Any], names: frozenset[str]) -> dict[str, list[str]]:
    """The headers of the sent message as a detector reported them (`original_headers`: a
    name -> value dict; `original_message_id`), in the shape of `pick_headers`."""
    out: dict[str, list[str]] = {}
    given = extra.get("original_headers")
    if isinstance(given, dict):
        for name, value in given.items():
            key = str(name).lower()
            if key in names and isinstance(value, str):
                out.setdefault(key, []).append(value)
    message_id = extra.get("original_message_id")
    if isinstance(message_id, str) and message_id.strip():
        out["message-id"] = [message_id]
    return out


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return decode_words(values[0]) if values else None


def _list_source(
    original: dict[str, list[str]], own: dict[str, list[str]], options: ParseOptions
) -> str | None:
    """The first list-source header found, in the returned message's headers, then in the
    bounce's own (List-Id reduced to the id between angle brackets)."""
    for source in (original, own):
        for name in options.list_source_headers:
            value = _first(source, name.lower())
            if value:
                if name.lower() == "list-id":
                    m = _LIST_ID_RE.search(value)
                    if m:
                        return m.group(1).strip()
                return value
    return None


_TEXT_FIELDS = ("address", "diagnostic", "remote_mta", "original_recipient", "command")


def _valid_text(report: RecipientReport) -> RecipientReport:
    """A decoder may copy raw 8-bit header bytes (kept as surrogate escapes by the parser)
    into a field: read them as text (UTF-8, else Latin-1), so every result encodes."""
    bad: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(report, name)
        if isinstance(value, str) and (readable := unescape(value)) != value:
            bad[name] = readable
    if report.action is not None and report.action not in ACTIONS:
        # a decoder read more than the field ('failed boundary="…"' from a broken report):
        # its first word if that is an action, else nothing the model can't hold
        first = report.action.split(None, 1)[0].lower() if report.action.strip() else ""
        bad["action"] = first if first in ACTIONS else "failed"
    return dataclasses.replace(report, **bad) if bad else report


__all__ = ["decode_message"]
