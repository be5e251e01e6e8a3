"""VERP: the recipient encoded in the return path the bounce was sent to.

With `bounces+jane=example.org@lists.example.com` as Return-Path, the bounce arrives
addressed to that address; the pattern (configurable) gives back `jane@example.org`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message

from bouncewatch.parse.headers import raw_all, unescape
from bouncewatch.smtp.address import decode_verp

#: where the envelope recipient of the bounce shows up
VERP_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")


def decode(value: str, pattern: re.Pattern[str]) -> str | None:
    """The recipient encoded in one address by `pattern` (`smtp.address.decode_verp`)."""
    return decode_verp(value, pattern)


#: an envelope address is at most 256 octets (RFC 5321 4.5.3.1.3); a header value much longer
#: than that holds no VERP address, and a configured pattern may rescan it once per character
MAX_VALUE = 1000


def first_match(values: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    for value in values:
        if len(value) > MAX_VALUE:
            continue
        found = decode(value, pattern)
        if found:
            return found
    return None


def recipient(msg: Message, pattern: re.Pattern[str] | None) -> str | None:
    """The VERP-decoded recipient out of the bounce's envelope headers, or None."""
    if pattern is None:
        return None
    for name in VERP_HEADERS:
        values = raw_all(msg, name)
        if values:
            found = first_match((unescape(v) for v in values), pattern)
            if found:
                return found
    return None


#: at most this many envelope header values, and characters of each, are kept
_ENVELOPE_VALUES = 8
_ENVELOPE_CHARS = 1000
_ENVELOPE_NAMES = frozenset(n.lower() for n in VERP_HEADERS)
_ENVELOPE_SIZES = frozenset(len(n) for n in (*_ENVELOPE_NAMES, "from"))


def envelope_headers(msg: Message) -> tuple[tuple[str, ...], str | None]:
    """(the raw values of the headers that say where the bounce was delivered — Delivered-To,
    X-Original-To, …, To — in the order of VERP_HEADERS, and the raw From value) in one pass
    over the headers.  Bounded: a few values, each cut at _ENVELOPE_CHARS.  The trust checks
    take addresses out of them when they need them (`trust.envelope`)."""
    found: dict[str, list[str]] = {}
    sender = None
    for name, value in msg._headers:  # type: ignore[attr-defined]  # see headers.items
        if len(name) not in _ENVELOPE_SIZES or not isinstance(value, str):
            continue  # (most names are ruled out by their length, without lower())
        key = name.lower()
        if key in _ENVELOPE_NAMES:
            values = found.setdefault(key, [])
            if len(values) < _ENVELOPE_VALUES:
                values.append(value[:_ENVELOPE_CHARS])
        elif key == "from" and sender is None:
            sender = value[:_ENVELOPE_CHARS]
    ordered = [v for n in VERP_HEADERS for v in found.get(n.lower(), ())]
    return tuple(ordered[:_ENVELOPE_VALUES]), sender
