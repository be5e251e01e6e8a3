"""parse.fallback.all_failures: flufl.bounce's heuristics with its pattern-list detectors
(SimpleMatch, SimpleWarning) screened by one search of the whole body per pattern set, and
its qmail detector by its opening phrases.  The addresses must be what
`flufl.bounce.all_failures` itself returns, for every message."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from re import _constants, _parser  # type: ignore[attr-defined]

import pytest
from flufl.bounce import all_failures as library_all_failures
from flufl.bounce._detectors.qmail import introtags as QMAIL_OPENINGS
from flufl.bounce._detectors.simplematch import PATTERNS as MATCH_PATTERNS
from flufl.bounce._detectors.simplewarning import PATTERNS as WARNING_PATTERNS
from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.parse.fallback import _flufl_plan, _literal, all_failures

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").rglob("*.eml"))

#: what the patterns look for, as a bounce writes it (the start and end lines' texts with
#: their regex syntax taken out), and what surrounds it
PHRASES = sorted(
    {
        p.pattern.replace("\\s*", " ").replace("\\", "").strip("^$")
        for patterns in (MATCH_PATTERNS, WARNING_PATTERNS)
        for start, end, _ in patterns
        for p in (start, end)
        if "(?P" not in p.pattern and "[" not in p.pattern
    }
    | set(QMAIL_OPENINGS)
)
ADDRESSES = [
    "ann@example.org",
    "<bob@example.net>",
    "<dee@example.net>:",
    "Failed Recipient: cy@example.com",
]
FILLER = ["", " ", "---", "Original message follows.", "Subject: hi", "ann", "@", "\t"]

piece = st.one_of(
    st.sampled_from(PHRASES).flatmap(
        lambda p: st.sampled_from([p, p.upper(), p.lower(), f"  {p}", f"{p}  "])
    ),
    st.sampled_from(ADDRESSES),
    st.sampled_from(FILLER),
    st.text(alphabet="aAsSkK@<>:. \tſıK-", max_size=12),
)
line = st.lists(piece, min_size=1, max_size=3).map(" ".join)
body = st.lists(line, max_size=12).map("\n".join)


def build(parts: list[str], endings: list[bool]) -> Message:
    """A message of one text part, or a multipart of several (a part's last line ends with
    or without a newline: the lines of two parts are then read apart, never joined)."""
    texts = [p + ("\n" if nl else "") for p, nl in zip(parts, endings, strict=False)]
    if len(texts) == 1:
        msg = Message()
        msg["From"] = "MAILER-DAEMON@example.com"
        msg.set_payload(texts[0])
        return msg
    msg = Message()
    msg["From"] = "MAILER-DAEMON@example.com"
    msg["Content-Type"] = 'multipart/mixed; boundary="b"'
    payload = []
    for text in texts:
        part = Message()
        part["Content-Type"] = "text/plain"
        part.set_payload(text)
        payload.append(part)
    msg.set_payload(payload)
    return msg


def outcome(scan: Callable[[Message], object], msg: Message) -> object:
    """What `scan` returns, or the type of what it raises (the library's detectors raise
    on some broken messages: the screened run must raise there too)."""
    try:
        return scan(msg)
    except Exception as exc:  # compared, not hidden
        return type(exc)


def test_the_library_is_the_one_screened() -> None:
    """The screened run is in use (the library's insides are the ones it knows)."""
    assert _flufl_plan() is not None


@settings(max_examples=1500, deadline=None)
@given(
    parts=st.lists(body, min_size=1, max_size=3),
    endings=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_same_as_flufl_bounce(parts: list[str], endings: list[bool]) -> None:
    msg = build(parts, endings)
    assert outcome(all_failures, msg) == outcome(library_all_failures, msg)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_same_as_flufl_bounce_on_fixtures(path: Path) -> None:
    msg = email.message_from_bytes(path.read_bytes())
    assert outcome(all_failures, msg) == outcome(library_all_failures, msg)


def test_a_pattern_set_is_found_on_its_own_line_only() -> None:
    """The screen finds the opening line anywhere; the addresses still come from the lines
    after it, as the library reads them."""
    msg = build(
        [
            "ann@example.org\nThe following addresses had permanent fatal errors\n"
            "<bob@example.net>\nTranscript of session follows\ncy@example.com\n"
        ],
        [True],
    )
    assert all_failures(msg) == library_all_failures(msg) == (frozenset(), {b"bob@example.net"})


def parsed_literal(pattern: re.Pattern[str]) -> str | None:
    """`_literal` as the regular expression parser itself sees the pattern: the longest run
    of ASCII LITERAL items at its top level."""
    best = run = ""
    items = _parser.parse(pattern.pattern, pattern.flags)
    if any(op is _constants.BRANCH for op, _ in items) or any(
        op is _constants.IN for op, _ in items
    ):
        return None  # (as _literal: an alternative, a class)
    for op, value in items:
        if op is _constants.LITERAL and value < 128:
            run += chr(value)
        else:
            best, run = max(best, run, key=len), ""
    best = max(best, run, key=len)
    return best.lower() if len(best) >= 4 else None


@pytest.mark.parametrize(
    "pattern",
    [start for patterns in (MATCH_PATTERNS, WARNING_PATTERNS) for start, _, _ in patterns],
    ids=lambda p: p.pattern[:40],
)
def test_a_start_pattern_literal_is_the_one_the_parser_sees(pattern: re.Pattern[str]) -> None:
    if "[" in pattern.pattern:
        assert _literal(pattern) is None
    else:
        assert _literal(pattern) == parsed_literal(pattern)


@pytest.mark.parametrize(
    ("source", "literal"),
    [
        (
            r"Unable to deliver message to the following address\(es\)\.",
            "unable to deliver message to the following address(es).",
        ),
        (
            r"Del(i|e)very to the following recipients (failed|was aborted)",
            "very to the following recipients ",
        ),
        (r"^Your message\s*$", "your message"),
        (r"mailbox full?", "mailbox ful"),
        (r"abc|abcdef", None),
        (r"[ab]cdefgh", None),
        (r"x{2,}yz", None),
    ],
)
def test_a_literal_is_what_every_match_holds(source: str, literal: str | None) -> None:
    assert _literal(re.compile(source, re.I)) == literal
