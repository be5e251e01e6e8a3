"""Header values as text: raw 8-bit bytes read as UTF-8, encoded words decoded, addresses
and dates pulled out.  Reads the raw values (compat32's `get` would turn 8-bit bytes into
replacement characters and sanitise every header on each call)."""

from __future__ import annotations

import re
from datetime import UTC, date
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from bouncewatch.smtp.text import squash


def unescape(text: str) -> str:
    """compat32 keeps raw 8-bit bytes as surrogate escapes; read them as UTF-8 (or Latin-1)."""
    if text.isascii():  # a flag of the string: no scan, no copy
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (UTF-7's "+2BQ-"):
        # replaced, and the escaped bytes beside it read as Latin-1
        return "".join(
            chr(ord(c) - 0xDC00)
            if 0xDC80 <= ord(c) <= 0xDCFF
            else "\ufffd"
            if 0xD800 <= ord(c) <= 0xDFFF
            else c
            for c in text
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def items(msg: Message) -> list[tuple[str, str]]:
    """The (name, value) pairs of `msg` as parsed, in order -- the list itself, not the copy
    `Message.raw_items()` makes on every call: read it, never modify it."""
    return msg._headers  # type: ignore[attr-defined,no-any-return]


def raw_all(msg: Message, name: str) -> list[str]:
    """Every value of header `name` exactly as parsed (8-bit bytes still surrogate-escaped;
    compat32's `get` would turn them into replacement characters)."""
    lname, size = name.lower(), len(name)
    return [
        v
        for k, v in msg._headers  # type: ignore[attr-defined]  # see `items`
        if len(k) == size and (k == name or k.lower() == lname) and isinstance(v, str)
    ]


def raw(msg: Message, name: str) -> str | None:
    """The first value of header `name` as parsed, or None."""
    lname, size = name.lower(), len(name)
    for k, v in msg._headers:  # type: ignore[attr-defined]  # see `items`
        # (names usually come as the caller spells them: lower() only when they don't)
        if len(k) == size and (k == name or k.lower() == lname) and isinstance(v, str):
            return v
    return None


def header(msg: Message, name: str) -> str | None:
    """A header's value: encoded words decoded, 8-bit read as UTF-8, white space squashed."""
    value = raw(msg, name)
    if value is None:
        return None
    return decode_words(value)


#: encoded words are decoded in the first this many characters of a value (the standard
#: library joins adjacent words by concatenation, quadratic in their number); the rest is kept
#: as written.  RFC 2047 lines are 76 characters: no real header comes near.
MAX_DECODED = 8192


def decode_words(value: str) -> str | None:
    """Decode RFC 2047 encoded words (tolerating unknown charsets) and squash white space."""
    if not value.isascii():
        value = unescape(value)
    if "=?" not in value:
        return squash(value)
    if len(value) > MAX_DECODED:
        cut = value.rfind(" ", 0, MAX_DECODED)
        cut = cut if cut > 0 else MAX_DECODED
        head = decode_words(value[:cut]) or ""
        return squash(head + " " + value[cut:])
    try:
        chunks = decode_header(value)
    except Exception:  # malformed encoded words: keep the raw text
        return squash(value)
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset))
        else:
            out.append(chunk)
    return squash(" ".join(out) if len(out) > 1 and _needs_space(chunks) else "".join(out))


def _needs_space(chunks: list[tuple[bytes | str, str | None]]) -> bool:
    # decode_header drops the white space between an encoded word and plain text
    return any(charset is None for _, charset in chunks)


def decode_bytes(data: bytes, charset: str | None) -> str:
    for cs in (charset or "utf-8", "utf-8"):
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError, ValueError):  # ValueError: NUL in the name
            continue
    return data.decode("latin-1")


_COMPLEX_ADDR_RE = re.compile(r'["()\\:]')
_ANGLE_RE = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
#: address values longer than this are read the simple way: the standard library's parser
#: recurses into every group and concatenates lists (quadratic); no real header is this long
MAX_COMPLEX = 16 * 1024
#: a bare address; it is only looked for where a run of address characters starts (the
#: leftmost match starts there anyway), so a long run without @ is scanned once, not once per
#: character
_BARE_ADDR_RE = re.compile(r"(?<![^\s<>,;])[^\s<>,;]+@[^\s<>,;]+")


def pick_headers(msg: Message, names: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """The raw values of the headers in `names` (lower case), in one pass over the message."""
    out: dict[str, list[str]] = {}
    sizes = _sizes(names) if isinstance(names, frozenset) else {len(n) for n in names}
    for k, v in msg._headers:  # type: ignore[attr-defined]  # see `items`
        if len(k) in sizes:  # most names are ruled out by their length, without lower()
            lk = k.lower()
            if lk in names and isinstance(v, str):
                found = out.get(lk)
                if found is None:
                    out[lk] = [v]
                else:
                    found.append(v)
    return out


@lru_cache(maxsize=32)
def _sizes(names: frozenset[str]) -> frozenset[int]:
    return frozenset(len(n) for n in names)


def addresses(msg: Message, name: str) -> list[str]:
    """The bare addresses in every occurrence of header `name`."""
    return address_list(raw_all(msg, name))


def address_list(values: list[str] | tuple[str, ...]) -> list[str]:
    """The bare addresses in raw address-header values."""
    if not values:
        return []
    joined = unescape(",".join(values))
    if not _COMPLEX_ADDR_RE.search(joined) or len(joined) > MAX_COMPLEX:
        return _simple_addresses(joined)
    if len(values) == 1 and (m := _QUOTED_NAME_ADDR_RE.fullmatch(joined)) is not None:
        # '"Name, Other" <local@domain>': the address the standard parser gives back for this
        # shape is the text between the brackets (tests/test_parse_fast_paths.py)
        return [m.group(1)]
    try:
        pairs = getaddresses([unescape(v) for v in values])
    except RecursionError:  # the standard parser recurses once per group (":") it opens
        return _simple_addresses(joined)
    out = []
    for _, addr in pairs:
        addr = addr.strip().strip("<>").strip()
        if "@" in addr:
            out.append(addr)
    return out


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
#: one quoted display name and one bracketed dot-atom address, the usual complex value
_QUOTED_NAME_ADDR_RE = re.compile(
    rf'[ \t\r\n]*"[^"\\\r\n]*"[ \t\r\n]*<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t\r\n]*'
)


def _simple_addresses(joined: str) -> list[str]:
    """The <…> or bare tokens with an @ of each comma-separated item."""
    simple = []
    for item in joined.split(","):
        m = _ANGLE_RE.search(item) or _BARE_ADDR_RE.search(item)
        if m is not None:
            simple.append(m.group(1) if m.lastindex else m.group(0))
    return simple


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
_MONTHS.update({m.title(): i for m, i in _MONTHS.items()})  # as dates write them: no lower()


_MONTH_TEXT = {i: f"{i:02d}" for i in range(1, 13)}
_TWO = [f"{i:02d}" for i in range(100)]


@lru_cache(maxsize=16)  # a DSN repeats its dates (Date, Arrival-Date, Last-Attempt-Date)
def iso_date(value: str | None) -> str | None:
    """An RFC 5322 date as ISO 8601 UTC ("2024-05-01T10:00:00Z"), or None if unparseable."""
    if not value:
        return None
    m = _DATE_RE.match(value)
    month = None
    if m is not None:
        day_s, month_s, year_s, hour_s, minute_s, second_s, sign, off_h, off_m = m.groups()
        month = _MONTHS.get(month_s) or _MONTHS.get(month_s.lower())
    if month is not None:
        if value.isascii() and (not sign or (off_h == "00" and off_m == "00")):
            # the usual UTC date: the text of the fields, padded (two-digit strings compare
            # as their numbers do)
            day_s = day_s if len(day_s) == 2 else "0" + day_s
            hour_s = hour_s if len(hour_s) == 2 else "0" + hour_s
            second_s = second_s or "00"
            if (
                "01" <= day_s <= "28"
                and year_s != "0000"
                and hour_s < "24"
                and minute_s < "60"
                and second_s < "60"
            ):
                return f"{year_s}-{_MONTH_TEXT[month]}-{day_s}T{hour_s}:{minute_s}:{second_s}Z"
        day, year, hour, minute = int(day_s), int(year_s), int(hour_s), int(minute_s)
        second = int(second_s or 0)
        offset = 0
        if sign:
            offset = (int(off_h) * 60 + int(off_m)) * (-1 if sign == "-" else 1)
        if not (hour < 24 and minute < 60 and second < 60):
            return None  # (datetime refuses them)
        days, minutes = divmod(hour * 60 + minute - offset, 1440)
        if 1 <= day <= 28 and 1 <= day + days <= 28 and year >= 1:
            # a valid date (every month has 28 days; a 4-digit year is at most 9999), and
            # the offset keeps it in its month: no calendar needed
            hour, minute = divmod(minutes, 60)
            return f"{year:04d}-{_TWO[month]}-{_TWO[day + days]}T{_TWO[hour]}:{_TWO[minute]}:{_TWO[second]}Z"
        try:
            when = date(year, month, day)  # refuses day 0, 31 April, year 0 …
            if days:
                when = date.fromordinal(when.toordinal() + days)  # refuses past year 9999
        except (ValueError, OverflowError):
            return None
        hour, minute = divmod(minutes, 60)
        return f"{when.year:04d}-{_TWO[when.month]}-{_TWO[when.day]}T{_TWO[hour]}:{_TWO[minute]}:{_TWO[second]}Z"
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
