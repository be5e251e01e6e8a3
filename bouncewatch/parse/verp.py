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
