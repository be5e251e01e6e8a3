"""parse.lean: the message tree it builds is the standard compat32 parser's, object for
object -- on every fixture, on every defect path of the standard parser, and on random
assemblies of the lines MIME is made of -- and where it cannot be sure it hands the message
to the standard parser (and counts it)."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from typing import Any

import pytest
from fixture_files import FIXTURES, all_emls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bouncewatch.parse import lean

_stdlib = BytesParser(policy=compat32)


def tree(msg: Any) -> Any:
    """Everything a compat32 Message holds, its parts' likewise."""
    if not isinstance(msg, Message):
        return ("not a message", repr(msg))
    payload = msg._payload  # type: ignore[attr-defined]
    if isinstance(payload, list):
        payload = [tree(part) for part in payload]
    return (
        type(msg),
        msg.policy,
        list(msg._headers),  # type: ignore[attr-defined]
        msg.get_unixfrom(),
        payload,
        msg.preamble,
        msg.epilogue,
        [(type(d), str(d)) for d in msg.defects],
        msg.get_default_type(),
        msg.get_charset(),
        sorted(vars(msg)),
    )


def same_as_stdlib(data: bytes) -> tuple[bool, bool]:
    """(the trees are equal, the lean reader gave up on `data`)."""
    before = lean.FALLBACKS
    ours = lean.read_message(data)
    gave_up = before != lean.FALLBACKS
    return tree(ours) == tree(_stdlib.parsebytes(data)), gave_up


@pytest.mark.parametrize("path", all_emls(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_reads_as_the_standard_parser_reads_it(path: Path) -> None:
    data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # as parse.api
    equal, gave_up = same_as_stdlib(data)
    assert equal
    assert not gave_up


#: each path of the standard parser the reader follows: (name, message)
FOLLOWED = [
    ("empty", b""),
    ("headers only, no newline", b"Subject: x"),
    ("body without separator", b"Subject: x\nthis line is no header\nmore\n"),
    ("first line continued", b"  folded first\nSubject: x\n\nbody\n"),
    ("misplaced From", b"Subject: x\nFrom someone else\nTo: a@b\n\nbody\n"),
    ("unix From first", b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nSubject: x\n\nb\n"),
    ("missing header name", b"Subject: x\n: nameless\nTo: a@b\n\nbody\n"),
    ("folded header", b"Subject: one\n two\n\tthree\nTo:\n  a@b\n\nbody\n"),
    ("empty value", b"Subject:\nX-Empty: \t \n\nbody"),
    ("multipart without boundary", b"Content-Type: multipart/mixed\n\nall body\n"),
    (
        "start boundary never seen",
        b'Content-Type: multipart/mixed; boundary="b"\n\npreamble only\n--c\n',
    ),
    (
        "close boundary never seen",
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\npart one\n--b\n\ntwo\n',
    ),
    (
        "preamble, epilogue, repeated boundary",
        b'Content-Type: multipart/mixed; boundary="b"\n\npre\namble\n--b\n--b\n'
        b"Content-Type: text/plain\n\none\n\n--b  \n\ntwo\n--b--\nepi\nlogue\n",
    ),
    (
        "close boundary without newline",
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--b--',
    ),
    (
        "nested multiparts, inner closes on the outer boundary",
        b'Content-Type: multipart/mixed; boundary="o"\n\n--o\n'
        b'Content-Type: multipart/alternative; boundary="i"\n\n--i\n\ntext\n--i--\n\n'
        b'--o\nContent-Type: multipart/related; boundary="j"\n\n--j\n\nhtml\n--o--\n',
    ),
    (
        "a boundary with a colon, right after a part's headers",
        b'Content-Type: multipart/mixed; boundary="x:y"\n\n--x:y\nContent-Type: text/plain\n'
        b"--x:y\nSubject: two\n\nsecond\n--x:y--\n",
    ),
    (
        "bad transfer encoding on a multipart",
        b'Content-Type: multipart/mixed; boundary="b"\nContent-Transfer-Encoding: base64\n\n'
        b"--b\n\nx\n--b--\n",
    ),
    (
        "digest",
        b'Content-Type: multipart/digest; boundary="d"\n\n--d\n\nSubject: in\n\nhi\n'
        b"--d\nContent-Type: text/plain\n\nplain\n--d--\n",
    ),
    (
        "report with status blocks",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\n\n'
        b"--r\n\nhuman\n--r\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; a\n\n\nFinal-Recipient: rfc822; x@y\nAction: failed\n"
        b"junk line in a block\nStatus: 5.1.1\n\n--r\nContent-Type: message/rfc822\n\n"
        b"Subject: sent\n\nbody\n--r--\n",
    ),
    ("status part at the end", b"Content-Type: message/delivery-status\n\nA: 1\n\nB: 2"),
    ("attached message", b"Content-Type: message/rfc822\n\nSubject: in\n\ninner body\n"),
    ("non-ASCII content type", b"Content-Type: text/pl\xe4in\n\nbody\n"),
    ("8-bit header", b"Subject: caf\xc3\xa9\nContent-Type: TEXT/HTML; charset=x\n\n<p>"),
    ("no slash", b"Content-Type: nonsense\n\nbody\n"),
]

#: the paths the reader hands to the standard parser
GIVEN_UP = [
    ("carriage returns", b"Subject: x\r\n\r\nbody\r\n"),
    ("From line closing the headers", b"Subject: x\nFrom here\n\nbody\n"),
    (
        "a boundary with nothing after it",
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--b\n',
    ),
]


@pytest.mark.parametrize("data", [d for _, d in FOLLOWED], ids=[n for n, _ in FOLLOWED])
def test_defect_paths_are_followed(data: bytes) -> None:
    equal, gave_up = same_as_stdlib(data)
    assert equal
    assert not gave_up


@pytest.mark.parametrize("data", [d for _, d in GIVEN_UP], ids=[n for n, _ in GIVEN_UP])
def test_unsure_paths_go_to_the_standard_parser(data: bytes) -> None:
    equal, gave_up = same_as_stdlib(data)
    assert equal
    assert gave_up


def nested(level: bytes, depth: int) -> bytes:
    return b"".join(level % {b"n": b"%d" % i} for i in range(depth)) + b"Subject: in\n\nx\n"


@pytest.mark.parametrize(
    "level",
    [
        b"Content-Type: message/rfc822\n\n",
        b'Content-Type: multipart/mixed; boundary="b%(n)s"\n\n--b%(n)s\n',
    ],
)
def test_deep_nesting_goes_to_the_standard_parser(level: bytes) -> None:
    """Past MAX_NESTING the standard parser decides, as before, how deep is too deep."""
    assert same_as_stdlib(nested(level, lean.MAX_NESTING - 1)) == (True, False)
    assert same_as_stdlib(nested(level, lean.MAX_NESTING + 50)) == (True, True)


LINES = st.sampled_from(
    [
        "Subject: x\n",
        "From a@b\n",
        "X-Long: a\n",
        "  continued\n",
        "\tcontinued\n",
        ": no name\n",
        "no header here\n",
        "\n",
        "\n\n",
        'Content-Type: multipart/mixed; boundary="a"\n',
        'Content-Type: multipart/alternative; boundary="b"\n',
        'Content-Type: multipart/digest; boundary="a"\n',
        'Content-Type: multipart/mixed; boundary="c:d"\n',
        "--c:d\n",
        "--c:d--\n",
        "--c: not the boundary\n",
        "Content-Type: multipart/report\n",
        "Content-Type: message/delivery-status\n",
        "Content-Type: message/rfc822\n",
        "Content-Type: text/plain\n",
        "Content-Transfer-Encoding: base64\n",
        "--a\n",
        "--a--\n",
        "--a  \n",
        "--a-- \t\n",
        "--a---\n",
        "--a \tx\n",
        "--ab\n",
        "--b\n",
        "--b--\n",
        "--a",
        "--b--",
        "Action: failed\n",
        "body text\n",
        "caf\xe9\n",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=40))
def test_random_mime_reads_as_the_standard_parser_reads_it(lines: list[str]) -> None:
    data = "".join(lines).encode("utf-8")
    assert same_as_stdlib(data)[0]


@settings(max_examples=800, deadline=None)
@given(
    st.text(alphabet="ab-_:=+. \t()'?", min_size=1, max_size=6),
    st.text(alphabet="ab- \tx\n", max_size=8),
)
def test_boundary_line_as_the_standard_pattern_matches_it(boundary: str, tail: str) -> None:
    """The boundary test is the standard parser's pattern (`email.feedparser`), done with
    string methods: the same lines match, with the same close mark and line break."""
    pattern = re.compile(
        "(?P<sep>" + re.escape("--" + boundary) + r")(?P<end>--)?(?P<ws>[ \t]*)"
        r"(?P<linesep>\r\n|\r|\n)?$"
    )
    if "\n" in tail[:-1]:
        tail = tail.replace("\n", "") + "\n"  # a line: its only line break is its last character
    for line in ("--" + boundary + tail, boundary + tail, "-" + boundary + tail):
        mo = pattern.match(line)
        expected = (bool(mo.group("end")), mo.group("linesep")) if mo else None
        assert lean._Boundary(boundary).match(line) == expected, repr(line)


#: the run of header-like lines as one pattern: each line starts as the standard parser's
#: header pattern wants (`email.feedparser.headerRE`), the last one may lack its line break
HEADER_RUN = re.compile(r"(?:(?:From |[\041-\071\073-\176]*:|[\t ])[^\n]*(?:\n|\Z))*")


#: lines of every kind a header run meets: fields, continuations, "From " lines, lines that
#: start with ":" or "--" (header-like or not), blank lines, text; the last may lack its break
HEADER_LINES = st.sampled_from(
    ["a: b\n", "From: x\n", " c\n", "\tc\n", "From x\n", ":x\n", "--b: c\n", "--b\n", "-x: y\n",
     "\n", "x\n", "From\n", "a: b", "--b"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="From:x- \t\n\x7f", max_size=40),
        st.lists(HEADER_LINES, max_size=10).map("".join),
    ),
    st.integers(0, 40),
)
def test_header_run_ends_where_the_line_pattern_stops(text: str, start: int) -> None:
    """The run's end, and what it says of the run's lines after the first, are what the
    pattern and substring searches over the run would say."""
    # from a line's start: the start of the text, or just after a line break
    breaks = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    pos = breaks[start % len(breaks)]
    expected = HEADER_RUN.match(text, pos)
    assert expected is not None
    run = expected.end()
    block = text[pos:run]
    odd = "\nFrom " in block or "\n:" in block
    dashes = text.find("\n--", pos, run) >= 0
    assert lean._header_run(text, pos) == (run, odd, dashes)


PARAMETER_TEXT = st.text(alphabet=' \t;="\\*<>abB-_=:/.', max_size=30)


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(["multipart/mixed", "multipart/report", "MULTIPART/alternative ", "text"]),
    st.lists(
        st.tuples(
            st.sampled_from(["boundary", "BOUNDARY", " boundary ", "report-type", "b", ""]),
            st.sampled_from(["=", " = ", ""]),
            PARAMETER_TEXT,
        ),
        max_size=4,
    ),
)
def test_boundary_as_the_standard_library_reads_it(
    ctype: str, params: list[tuple[str, str, str]]
) -> None:
    value = ctype + "".join(f";{name}{equals}{text}" for name, equals, text in params)
    msg = Message()
    msg["Content-Type"] = value
    assert lean.boundary_of(msg) == msg.get_boundary()


@pytest.mark.parametrize(
    "value",
    [
        'multipart/mixed; boundary="simple"',
        "multipart/mixed; boundary=simple ",
        'multipart/mixed; boundary="<angle>"',
        "multipart/mixed; boundary=<angle>",
        'multipart/mixed; boundary=""',
        "multipart/mixed; boundary",
        'multipart/mixed; a="x;y"; boundary="in;side"',
        "multipart/mixed; boundary*=utf-8''rfc2231",
        'multipart/mixed; boundary="back\\\\slash"',
        'multipart/mixed; boundary="caf\udce9"',
        "multipart/mixed",
    ],
)
def test_boundary_examples(value: str) -> None:
    msg = Message()
    msg["Content-Type"] = value
    assert lean.boundary_of(msg) == msg.get_boundary()
