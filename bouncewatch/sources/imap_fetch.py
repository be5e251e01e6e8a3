"""Reading FETCH answers without imapclient's general parser.

imapclient lexes every token of every FETCH response into Python objects (and its
`fetch()` takes a list of UIDs, joined by commas).  A pass asks for two shapes only, and
Dovecot and the other servers answer them in a handful of forms:

    * 12 FETCH (UID 40 RFC822.SIZE 2345)
    * 12 FETCH (UID 40 INTERNALDATE "20-Nov-2026 09:00:00 +0000" BODY[] {2345}
    <2345 bytes>)

`read_bodies()` and `read_sizes()` read exactly these from what imaplib collected (each
response's text around its literal), item by item, in any order.  Whatever else they meet — an
item they do not know, a second literal, a body sent as a quoted string or NIL — makes them
answer None, and the caller hands the same data to imapclient's parser: the lean path never
guesses.  `uid_set()` writes a set of UIDs as ranges ("1:500,502").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

#: one FETCH response's start: its sequence number and the opening parenthesis
_START = re.compile(rb"\d+ \(")
#: one data item, preceded by a space unless it opens the list
_ITEM = re.compile(
    rb" ?(?:UID (?P<uid>\d+)"
    rb'|INTERNALDATE "(?P<date>[^"\\]*)"'
    rb"|RFC822\.SIZE (?P<size>\d+)"
    rb"|FLAGS \((?P<flags>[^()\"{}]*)\)"
    rb"|MODSEQ \(\d+\)"
    rb"|(?P<body>BODY\[\](?:<0>)?) \{(?P<length>\d+)\}$"
    rb"|(?P<end>\))$)"
)
#: the usual shape of a body's response, and of a size's (Dovecot's order), read in one match;
#: anything else goes item by item
_USUAL_BODY = re.compile(rb'\d+ \(UID (\d+) INTERNALDATE "([^"\\]*)" BODY\[\](?:<0>)? \{(\d+)\}')
_USUAL_SIZE = re.compile(rb"\d+ \(UID (\d+) RFC822\.SIZE (\d+)\)")
#: an INTERNALDATE (RFC 3501): "dd-Mon-yyyy hh:mm:ss +zzzz", the day may be space-padded
_DATE = re.compile(rb" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)")
_MONTHS = {
    m: i
    for i, m in enumerate(
        (b"jan", b"feb", b"mar", b"apr", b"may", b"jun",
         b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"), 1
    )
}  # fmt: skip


def uid_set(uids: Iterable[int]) -> str:
    """The UIDs as an IMAP sequence set of ranges, in ascending order: "1:3,7,9:12"."""
    parts: list[str] = []
    first = last = None
    for uid in sorted(set(uids)):
        if last is not None and uid == last + 1:
            last = uid
            continue
        if first is not None:
            parts.append(f"{first}:{last}" if last != first else str(first))
        first = last = uid
    if first is not None:
        parts.append(f"{first}:{last}" if last != first else str(first))
    return ",".join(parts)


@functools.lru_cache(maxsize=1024)
def internaldate_iso(text: bytes) -> str | None:
    """An INTERNALDATE as "YYYY-MM-DDTHH:MM:SSZ" (UTC); None when it is not one.  (Cached:
    messages delivered in the same second share it.)"""
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    day, mon, year, hh, mm, ss, sign, oh, om = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        return None
    offset = timedelta(hours=int(oh), minutes=int(om))
    try:
        when = datetime(
            int(year), month, int(day), int(hh), int(mm), int(ss),
            tzinfo=timezone(-offset if sign == b"-" else offset),
        )  # fmt: skip
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        return None


def _items(text: bytes, pos: int, into: dict[str, Any]) -> bool:
    """Read data items from `pos` to the end of `text` into `into`; False at anything else."""
    end = len(text)
    while pos < end:
        m = _ITEM.match(text, pos)
        if m is None or m.end() == pos:
            return False
        pos = m.end()
        for key, value in m.groupdict().items():
            if value is not None:
                if key in into:  # an item twice: not for the lean path
                    return False
                into[key] = value
    return True


def _responses(data: Sequence[Any]) -> list[tuple[bytes, bytes | None, bytes]] | None:
    """imaplib's FETCH data as (text before the literal, literal or None, text after)."""
    out: list[tuple[bytes, bytes | None, bytes]] = []
    i, n = 0, len(data)
    while i < n:
        item = data[i]
        if isinstance(item, tuple):
            if len(item) != 2 or i + 1 >= n or not isinstance(data[i + 1], bytes):
                return None  # a second literal in one response, or a response cut short
            out.append((item[0], item[1], data[i + 1]))
            i += 2
        elif isinstance(item, bytes):
            out.append((item, None, b""))
            i += 1
        else:
            return None
    return out


def read_bodies(
    data: Sequence[Any], sizes: dict[int, int] | None = None
) -> dict[int, tuple[bytes, str | None]] | None:
    """{uid: (body, INTERNALDATE as ISO UTC)} from the data of a `UID FETCH (BODY.PEEK[]
    INTERNALDATE)` (or `BODY.PEEK[]<0.N>`); responses without a body (a flag change another
    client made) are left out, and those with a UID and an RFC822.SIZE go to `sizes` when
    given (the answer of a size listing sent alongside).  None: a form this reader does not
    know (use imapclient)."""
    responses = _responses(data)
    if responses is None:
        return None
    out: dict[int, tuple[bytes, str | None]] = {}
    for head, literal, tail in responses:
        if literal is not None and tail == b")":
            usual = _USUAL_BODY.fullmatch(head)
            if usual is not None and int(usual[3]) == len(literal):
                out[int(usual[1])] = (literal, internaldate_iso(usual[2]))
                continue
        elif literal is None and sizes is not None:
            usual = _USUAL_SIZE.fullmatch(head)
            if usual is not None:
                sizes[int(usual[1])] = int(usual[2])
                continue
        start = _START.match(head)
        if start is None:
            return None
        items: dict[str, Any] = {}
        if not _items(head, start.end(), items):
            return None
        if literal is None:
            if "body" in items or "end" not in items:
                return None
            if sizes is not None and "uid" in items and "size" in items:
                sizes[int(items["uid"])] = int(items["size"])
            continue  # no body: a size, or an unsolicited FETCH (FLAGS)
        if "body" not in items or int(items["length"]) != len(literal) or "end" in items:
            return None
        if not _items(tail, 0, items) or "end" not in items or "uid" not in items:
            return None
        date = items.get("date")
        out[int(items["uid"])] = (literal, internaldate_iso(date) if date else None)
    return out


def read_sizes(data: Sequence[Any]) -> dict[int, int] | None:
    """{uid: RFC822.SIZE} from the data of a `UID FETCH (RFC822.SIZE)`; None: a form this
    reader does not know (use imapclient)."""
    out: dict[int, int] = {}
    for item in data:
        if not isinstance(item, bytes):
            return None
        start = _START.match(item)
        items: dict[str, Any] = {}
        if start is None or not _items(item, start.end(), items) or "end" not in items:
            return None
        if "body" in items:
            return None
        if "uid" in items and "size" in items:
            out[int(items["uid"])] = int(items["size"])
    return out


__all__ = ["internaldate_iso", "read_bodies", "read_sizes", "uid_set"]
