"""Last resort for bounce-looking messages no decoder knows: GNU Mailman's flufl.bounce
heuristics give the addresses; the status and diagnostic near each address come from the text."""

from __future__ import annotations

import functools
import logging
import re
from email.iterators import body_line_iterator
from email.message import Message
from typing import Any

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.headers import address_list, items, raw_all
from bouncewatch.parse.headers import raw as raw_header
from bouncewatch.parse.mime import human_text, looks_like_bounce, original_headers
from bouncewatch.parse.text import explanation_after, extract_reply_code, extract_status, squash

log = logging.getLogger("bouncewatch.parse.fallback")
# flufl.bounce logs every detector it tries at INFO and tracebacks at ERROR; we catch and
# report its failures ourselves, one line each.
logging.getLogger("flufl.bounce").propagate = False
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())

_WINDOW = 400
_HEADER_LINE_RE = re.compile(r"[ \t>]*[A-Za-z][A-Za-z0-9-]*:[ \t]")
_NEXT_ADDRESS_RE = re.compile(r"\s<?[^\s<>@]+@")
_WORD_RE = re.compile(r"[^\W\d_]{3,}")  # a word of three letters: more than punctuation
#: a line that gives the reason, then the address: "User's mailbox is full: <a@b>" (not a
#: header line: a header's name has no spaces)
#: (the reason must hold a blank, checked after the match: a pattern that placed one itself
#: tried every blank of a long line -- quadratic)
_REASON_FIRST_RE = re.compile(r"[ \t]*([^:\n]+):[ \t]*<?([^\s<>]+@[^\s<>]+?)>?\.?[ \t]*$")
#: longer lines are not "reason: address" lines (and are not tried)
_REASON_FIRST_MAX = 1000
#: cheap pre-filter for a line that may hold a reply code or a status (confirmed by text.py,
#: which also refuses the digits of an IP address such as "(10.2.0.14)")
_CODE_HINT_RE = re.compile(r"[245]\d\d|[245]\.\d")


def all_failures(msg: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """flufl.bounce's (temporary, permanent) addresses; the library is imported on the first
    message that gets this far (few do), not with the parser.

    Its detectors run in its order, as `flufl.bounce.all_failures` runs them, except that
    the two pattern-list detectors (SimpleMatch, SimpleWarning: four fifths of its time)
    read the body's lines once and skip each pattern set whose opening line is nowhere in
    the whole text (`_pattern_scan`), and its qmail detector is not run on a text without
    any of its opening phrases."""
    from flufl.bounce import all_failures as heuristics

    plan = _flufl_plan()
    if plan is None:  # a flufl.bounce whose insides are not the ones known here
        return heuristics(msg)
    temporary: set[bytes] = set()
    permanent: set[bytes] = set()
    body: _Body | None = None
    for detector, warnings, sets in plan:
        if warnings is None:
            if detector is _FLUFL["qmail"]:
                # its addresses follow a line that starts with one of its opening phrases:
                # where the text holds none, it finds nothing
                if body is None:
                    body = _body_lines(msg)
                if not any(tag in body[1] for tag in _FLUFL["qmail_tags"]):
                    continue
            found_temporary, found_permanent = detector().process(msg)
        else:
            if body is None:
                body = _body_lines(msg)
            found = _pattern_scan(sets, *body)
            found_temporary, found_permanent = (found, frozenset()) if warnings else ((), found)
        temporary.update(found_temporary)
        permanent.update(found_permanent)
        if found_temporary or found_permanent:
            break
    return frozenset(temporary), frozenset(permanent)


_Pattern = re.Pattern[str]
#: a pattern set of flufl.bounce's lists, with what screens it: (the literal its start
#: pattern always matches, lower-cased, or None; the start pattern under re.M; the start,
#: end and address patterns)
_Set = tuple[str | None, _Pattern, _Pattern, _Pattern, _Pattern]
#: flufl.bounce's detectors in its order, each with None (run as it is), False (SimpleMatch:
#: its addresses are permanent failures) or True (SimpleWarning: temporary ones), and the
#: pattern sets of these two
_Plan = tuple[tuple[Any, bool | None, tuple[_Set, ...]], ...]


@functools.cache
def _flufl_plan() -> _Plan | None:
    try:
        from flufl.bounce._detectors.qmail import Qmail, introtags
        from flufl.bounce._detectors.simplematch import VALID, SimpleMatch, _quopri_decode
        from flufl.bounce._detectors.simplewarning import SimpleWarning
        from flufl.bounce._scan import _DETECTORS
    except ImportError:
        return None
    if SimpleMatch not in _DETECTORS or SimpleWarning not in _DETECTORS:
        return None
    _FLUFL.update(
        valid=VALID, quopri_decode=_quopri_decode, qmail=Qmail, qmail_tags=tuple(introtags)
    )
    return tuple(
        (d, d is SimpleWarning, _screened(d.PATTERNS))
        if d in (SimpleMatch, SimpleWarning)
        else (d, None, ())
        for d in _DETECTORS
    )


_FLUFL: dict[str, Any] = {}


def _screened(patterns: list[tuple[_Pattern, _Pattern, _Pattern]]) -> tuple[_Set, ...]:
    return tuple(
        (_literal(scre), re.compile(scre.pattern, scre.flags | re.M), scre, ecre, acre)
        for scre, ecre, acre in patterns
    )


def _literal(pattern: _Pattern) -> str | None:
    """The longest run of plain ASCII characters at the top level of `pattern` (outside any
    group, alternative or repeat: every match holds it), lower-cased; None when shorter than
    four characters, or when the pattern is an alternative at its top level or holds a
    character class (not read here) or is verbose."""
    best, run, depth, source, i = "", "", 0, pattern.pattern, 0
    if "[" in source or pattern.flags & re.X:
        return None
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source) and not source[i + 1].isalnum():
            c, i = source[i + 1], i + 1  # an escaped punctuation mark: itself
        elif c == "\\" or c in "().^$":
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == "\\":
                i += 1  # \s, \d, \b, …: no plain character
            best, run = max(best, run, key=len), ""
            i += 1
            continue
        elif c in "*+?{":
            if c == "{":
                i = source.index("}", i)
            best, run = max(best, run[:-1], key=len), ""  # the repeated one is not sure
            i += 1
            continue
        elif c == "|":
            if depth == 0:
                return None
            best, run = max(best, run, key=len), ""
            i += 1
            continue
        if depth == 0 and c.isascii():
            run += c
        else:
            best, run = max(best, run, key=len), ""
        i += 1
    best = max(best, run, key=len)
    return best.lower() if len(best) >= 4 else None


#: the body's lines as `email.iterators.body_line_iterator` gives them; the lines joined with
#: "\n"; that text lower-cased when it is ASCII (else None)
_Body = tuple[list[str], str, str | None]


def _body_lines(msg: Message) -> _Body:
    lines = list(body_line_iterator(msg))
    joined = "\n".join(lines)
    return lines, joined, joined.lower() if joined.isascii() else None


def _pattern_scan(
    sets: tuple[_Set, ...], lines: list[str], joined: str, lowered: str | None
) -> frozenset[bytes]:
    """`flufl.bounce`'s SimpleMatch.process (the addresses it finds) over `lines`, with a
    pattern set skipped when its start pattern matches nowhere in `joined`.

    Why the skip changes nothing: flufl.bounce reads a set's addresses only from the line
    its start pattern matches (searched line by line) on; and a start pattern (case-blind,
    its only assertions ^ and $) that matches a line matches the lines joined with "\n"
    under re.M: the same characters match, ^ at a line's start is after a "\n" (or the
    text's start), $ at a line's end is before one (or the text's end).  In ASCII text its
    top-level literal is looked for instead (a case-blind match of ASCII characters is a
    match of their lower case; outside ASCII, re.I has other equivalences: "ſ" is "s").
    Proven against the library itself in tests/test_parse_fallback_flufl.py."""
    addresses: set[bytes] = set()
    quopri_decode = _FLUFL["quopri_decode"]
    for literal, anywhere, scre, ecre, acre in sets:
        if lowered is not None and literal is not None:
            if literal not in lowered:
                continue
        elif anywhere.search(joined) is None:
            continue
        seen = False
        for line in lines:
            if not seen and scre.search(line):
                seen = True
            if seen:
                if mo := acre.search(line):
                    if address := mo.group("addr"):
                        addresses.add(quopri_decode(address))
                elif ecre.search(line):
                    break
        if addresses:
            break
    valid = _FLUFL["valid"]
    return frozenset(a for a in addresses if valid.match(a))


class FluflFallback:
    """flufl.bounce's heuristic detectors, addresses only, on messages that look like bounces."""

    name = "flufl"

    def detect(self, msg: Message) -> Detection | None:
        if (
            not (looks_like_bounce(msg) or _older_bounce(msg))
            or _oversized_header(msg)
            or not _may_name_addresses(msg)
        ):
            return None
        temporary, permanent = all_failures(msg)
        if not temporary and not permanent:
            return None
        text = human_text(msg)
        ids, senders = _not_recipients(msg, text)
        candidates = [
            (action, address)
            for action, found in (("failed", permanent), ("delayed", temporary - permanent))
            for address in map(_to_str, sorted(found))
            if address and "@" in address and address.lower() not in ids
        ]
        if any(a.lower() not in senders for _, a in candidates):
            # the sender is a recipient only of a message sent to itself: when the
            # heuristics found someone else, the sender's address was just quoted
            candidates = [(act, a) for act, a in candidates if a.lower() not in senders]
        reports = [_near(address, action, text) for action, address in candidates]
        return Detection(kind="bounce", recipients=reports) if reports else None


#: what the bounces flufl.bounce's detectors were written for say in their headers beyond
#: what `looks_like_bounce` knows: older MTAs' subjects ("Nondeliverable mail", "Failed
#: mail", "Warning: could not send message for past 4 hours"), senders ("Mail Router",
#: "Post Office", "Mailer"), SMTP32's X-Mailer
_OLD_SUBJECT_RE = re.compile(
    r"nondeliverable|non-deliverable|failed mail|failure delivery|delivery fail|"
    r"returned message|delivery report|delivery notification|unable to deliver|"
    r"cannot be delivered|can'?t be delivered|couldn'?t be delivered|permanent (?:error|failure)|"
    r"mail system error|could not send|message delayed|delayed message|warning: message",
    re.I,
)
_OLD_SENDER_RE = re.compile(r"mail ?router|post ?office|\bmailer\b|mail ?server|daemon", re.I)


def _older_bounce(msg: Message) -> bool:
    subject = raw_header(msg, "Subject") or ""
    if _OLD_SUBJECT_RE.search(subject):
        return True
    if _OLD_SENDER_RE.search(raw_header(msg, "From") or ""):
        return True
    return "smtp32" in (raw_header(msg, "X-Mailer") or "").lower()


#: flufl.bounce parses the address headers with the standard library's address parser, some
#: microseconds an address: a header longer than this (no mail system writes one) is not
#: handed to it
MAX_HEADER = 16 * 1024


def _oversized_header(msg: Message) -> bool:
    return any(len(value) > MAX_HEADER for _name, value in items(msg))


#: transfer encodings under which an "@" can hide from a look at the raw payload
_PLAIN_CTES = frozenset({"", "7bit", "8bit", "binary", "quoted-printable"})


def _may_name_addresses(msg: Message) -> bool:
    """Could flufl.bounce find an address in `msg` at all?  Its detectors return addresses
    written in X-Failed-Recipients, in the parts' bodies or in the fields of sub-parts (status
    blocks, attached messages), plus AOL and Yale ones built from the sender's domain.  False
    only when none of these holds an "@" (or an encoded one): the heuristics then have nothing
    to return, and skipping them saves their forty scans of a message that is no bounce."""
    if raw_header(msg, "X-Failed-Recipients") is not None:
        return True
    sender = (raw_header(msg, "From") or "").lower()
    if "aol.com" in sender or "yale.edu" in sender or "=?" in sender:
        return True
    for part in msg.walk():
        if part is not msg:
            for _, value in items(part):
                if not isinstance(value, str) or "@" in value or "=?" in value:
                    return True
        for text in (part.preamble, part.epilogue):
            if text is not None and (not isinstance(text, str) or "@" in text):
                return True
        payload = part._payload  # type: ignore[attr-defined]
        if isinstance(payload, str):
            if "@" in payload or "=40" in payload:
                return True
            cte = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
            if cte not in _PLAIN_CTES:
                return True
        elif payload is not None and not isinstance(payload, list):
            return True
    return False


#: "Message-ID: <…>" (and References, In-Reply-To) written in a text part, as bounces that
#: quote the returned message's headers do
_QUOTED_ID_RE = re.compile(
    r"^[ \t>]*(?:message-id|references|in-reply-to)[ \t]*:[ \t]*(.+)$", re.I | re.M
)
_ID_RE = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_ID_HEADERS = ("Message-ID", "References", "In-Reply-To", "Resent-Message-ID")
_SENDER_HEADERS = ("From", "Sender", "Return-Path", "Reply-To")


def _not_recipients(msg: Message, text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(Message-IDs, sender addresses): what flufl.bounce's heuristics may pick up that is no
    failed recipient.  The Message-IDs of the bounce and of the returned message (an id looks
    like an address) never are; the returned message's sender and the address the bounce was
    sent to (that sender again) are not, unless X-Failed-Recipients names them."""
    ids: set[str] = set()
    for part in msg.walk():
        for name in _ID_HEADERS:
            for value in raw_all(part, name):
                ids.update(m.lower() for m in _ID_RE.findall(value))
    for m in _QUOTED_ID_RE.finditer(text):
        ids.update(i.lower() for i in _ID_RE.findall(m.group(1)))
    out: set[str] = set()
    original = original_headers(msg)
    senders = [original] if original is not None else []
    for headers in senders:
        for name in _SENDER_HEADERS:
            out.update(a.lower() for a in address_list(raw_all(headers, name)))
    failed = {a.lower() for a in address_list(raw_all(msg, "X-Failed-Recipients"))}
    out.update(a.lower() for a in address_list(raw_all(msg, "To")) if a.lower() not in failed)
    return frozenset(ids), frozenset(out - failed)


def _to_str(raw: bytes | str) -> str:
    value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return value.strip().strip("<>").strip()


def _near(address: str, action: str, text: str) -> RecipientReport:
    """Status, reply code and diagnostic line found just after the address in the text; with
    no code there, the words that follow the address ("jo@example.org: User unknown", an
    indented reason under it) are the diagnostic.

    The codes the remote server gave outrank flufl.bounce's guess of the action: its
    detectors call some permanent refusals temporary (and the reverse), while a "550 5.7.1"
    or a "452 4.2.2" next to the address says which it was."""
    pos = text.lower().find(address.lower())
    window = text[pos : pos + _WINDOW] if pos >= 0 else ""
    diagnostic = status = code = None
    for line in window.split("\n"):
        if _CODE_HINT_RE.search(line) is None:
            continue
        status, code = extract_status(line), extract_reply_code(line)
        if status or code:
            diagnostic = squash(line)
            break
    line_start = text.rfind("\n", 0, pos) + 1 if pos >= 0 else 0
    if diagnostic is None and pos >= 0 and not _HEADER_LINE_RE.match(text, line_start):
        # (an address in a quoted header line -- "To: a@b" -- is followed by more headers)
        said = explanation_after(text, address, limit=300)
        if said:
            said = _NEXT_ADDRESS_RE.split(said, 1)[0].strip()  # not the next address's
        if said and _WORD_RE.search(said):
            diagnostic = said
    if diagnostic is None and pos >= 0:
        # the reason first, then the address it is about: "User's mailbox is full: <a@b>"
        line_end = text.find("\n", pos)
        line = text[line_start : line_end if line_end >= 0 else None]
        m = _REASON_FIRST_RE.match(line) if len(line) <= _REASON_FIRST_MAX else None
        if m and not (m.start(1) > 0 or any(c.isspace() for c in m.group(1))):
            m = None  # one word before the colon: a header's name, not a reason
        if m and m.group(2).lower() == address.lower() and _WORD_RE.search(m.group(1)):
            diagnostic = squash(m.group(1))
    first = status[0] if status else str(code)[0] if code else None
    if first == "5":
        action = "failed"
    elif first == "4":
        action = "delayed"
    return RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=code,
        diagnostic=diagnostic,
    )
