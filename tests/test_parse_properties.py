"""Property tests: analyze never raises and always returns a well-formed ParseResult,
on arbitrary bytes and on randomly generated (often malformed) MIME trees."""

from __future__ import annotations

import base64
import json
import quopri

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bouncewatch.analyze import analyze
from bouncewatch.model import BOUNCE_TYPES, KINDS, REASONS, ParseResult

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(r: ParseResult) -> None:
    assert isinstance(r, ParseResult)
    assert r.kind in KINDS
    assert isinstance(r.detector, str) and r.detector
    for rcpt in r.recipients:
        assert isinstance(rcpt.report.address, str) and rcpt.report.address
        assert rcpt.report.status is None or rcpt.report.status[0] in "245"
        assert rcpt.report.smtp_code is None or 200 <= rcpt.report.smtp_code < 600
        assert rcpt.classification.bounce_type in BOUNCE_TYPES
        assert rcpt.classification.reason in REASONS
    if r.kind == "not_bounce":
        assert r.recipients == ()
    json.dumps(r.to_json("x"))  # the contract line is always serialisable


@SETTINGS
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    assert_well_formed(analyze(data))


# --- generated MIME trees ----------------------------------------------------------------------

CHARSETS = ["us-ascii", "utf-8", "iso-8859-1", "iso-2022-jp", "x-unknown", "utf-16", ""]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", ""]
WORDS = st.sampled_from(
    [
        "550",
        "5.1.1",
        "4.2.2",
        "user",
        "unknown",
        "rfc822;",
        "smtp;",
        "<a@example.org>",
        "mailbox",
        "full",
        "=?utf-8?q?x?=",
        "\u00e9",
        "\u65e5\u672c",
        ":",
        ";",
        "=",
        "\t",
        "Final-Recipient:",
        "Action:",
        "failed",
        "delayed",
        "Status:",
        "--",
        "\r",
    ]
)
TEXT = st.lists(WORDS, max_size=25).map(" ".join)
DS_FIELDS = st.sampled_from(
    [
        "Reporting-MTA",
        "Arrival-Date",
        "Final-Recipient",
        "Original-Recipient",
        "Action",
        "Status",
        "Diagnostic-Code",
        "Remote-MTA",
        "Last-Attempt-Date",
        "Will-Retry-Until",
        "X-Postfix-Queue-ID",
        "Feedback-Type",
        "Original-Rcpt-To",
        "Bogus",
    ]
)
DS_VALUES = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "rfc822; u@example.org",
            "utf-8; j\u00fc@example.org",
            "failed",
            "5.1.1",
            "4.0.0",
            "smtp; 550 5.1.1 no",
            "dns; mx.example.org",
            "Mon, 1 Jan 2024 00:00:00 +0000",
            "abuse",
            "<x@example.net>",
            "",
        ]
    ),
)


def encode_body(text: str, charset: str, cte: str) -> bytes:
    try:
        raw = text.encode(charset or "utf-8")
    except (LookupError, UnicodeError):
        raw = text.encode("utf-8")
    if cte == "base64":
        return base64.encodebytes(raw)[: max(1, len(raw))]  # sometimes truncated
    if cte == "quoted-printable":
        return quopri.encodestring(raw)
    return raw


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    ctype = draw(
        st.sampled_from(
            ["text/plain", "text/html", "text/rfc822-headers", "application/octet-stream"]
        )
    )
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(ENCODINGS))
    body = encode_body(draw(TEXT), charset, cte)
    head = f"Content-Type: {ctype}" + (f"; charset={charset}" if charset else "")
    head += f"\nContent-Transfer-Encoding: {cte}" if cte else ""
    return head.encode() + b"\n\n" + body


@st.composite
def status_part(draw: st.DrawFn) -> bytes:
    ctype = draw(
        st.sampled_from(
            ["message/delivery-status", "message/global-delivery-status", "message/feedback-report"]
        )
    )
    groups = draw(st.lists(st.lists(st.tuples(DS_FIELDS, DS_VALUES), max_size=8), max_size=4))
    sep = draw(st.sampled_from(["\n\n", "\n"]))
    text = sep.join("\n".join(f"{k}: {v}" for k, v in g) for g in groups)
    cte = draw(st.sampled_from(["", "base64", "quoted-printable"]))
    body = encode_body(text, "utf-8", cte)
    head = f"Content-Type: {ctype}" + (f"\nContent-Transfer-Encoding: {cte}" if cte else "")
    return head.encode() + b"\n\n" + body


def node(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def multipart(draw: st.DrawFn) -> bytes:
        sub = draw(st.sampled_from(["mixed", "report", "alternative", "related"]))
        boundary = draw(st.sampled_from(["b1", "b2", "=_x", "b1", ""]))
        params = f'; boundary="{boundary}"' if boundary else ""
        if sub == "report":
            params += "; report-type=" + draw(
                st.sampled_from(["delivery-status", "feedback-report", "x"])
            )
        parts = draw(st.lists(children, max_size=4))
        close = draw(st.booleans())
        body = b"".join(b"--" + boundary.encode() + b"\n" + p + b"\n" for p in parts)
        if close:
            body += b"--" + boundary.encode() + b"--\n"
        return f"Content-Type: multipart/{sub}{params}".encode() + b"\n\npreamble\n" + body

    @st.composite
    def rfc822(draw: st.DrawFn) -> bytes:
        inner = draw(children)
        return b"Content-Type: message/rfc822\n\nFrom: a@example.com\nTo: b@example.org\n" + inner

    return st.one_of(multipart(), rfc822())


TREES = st.recursive(st.one_of(leaf(), status_part()), node, max_leaves=12)
HEADERS = st.lists(
    st.sampled_from(
        [
            "From: MAILER-DAEMON@mx.example.net",
            "From: Jo <jo@example.org>",
            "To: bounces+u=example.org@mail.example.com",
            "Subject: Undelivered Mail Returned to Sender",
            "Subject: =?utf-8?q?Automatic_reply=3A_hi?=",
            "Subject: =?x-bad?b?!!!?=",
            "Auto-Submitted: auto-replied",
            "Return-Path: <>",
            "X-Failed-Recipients: u@example.org",
            "Date: Mon, 1 Jan 2024 00:00:00 +0000",
            "Date: garbage",
            "Message-ID: <m@example.net>",
            "Precedence: bulk",
        ]
    ),
    max_size=6,
)


@SETTINGS
@given(HEADERS, TREES, st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_generated_mime_trees(headers: list[str], tree: bytes, eol: bytes) -> None:
    data = ("\n".join(headers) + "\nMIME-Version: 1.0\n").encode() + tree
    data = data.replace(b"\n", eol)
    assert_well_formed(analyze(data))
