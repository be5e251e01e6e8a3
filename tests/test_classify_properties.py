"""Properties of classify() over arbitrary input: total, closed vocabulary, stable rules."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.classify import classify
from bouncewatch.classify.api import _classify
from bouncewatch.model import BOUNCE_TYPES, REASONS, RecipientReport

_GAVE_UP = r"action:failed:(?:4\.\d+\.\d+|4\d\d|\d\.0\.0|none)|text:expired|status:\d\.\d+\.7"
RULE = re.compile(
    r"kind:(complaint|auto_reply)|action:(delivered|relayed|expanded)|action:delayed:[a-z_]+"
    rf"|{_GAVE_UP}"
    r"|(?:provider:[a-z0-9]+:[A-Za-z0-9_]+|text:[a-z_]+|status:\d\.\d+\.\d+|code:\d{3}|none)"
    rf"(?:\+gave-up:(?:{_GAVE_UP}))?"
    r"(?:\+dns-temporary|\+refuted:(?:status:\d\.\d+\.\d+|sender-status:\d\.\d+\.\d+|"
    r"after-data|after-mail-from|carrier-filter|at-helo|at-conn))?"
    r"(?:\+other-address)?"
)

statuses = st.one_of(
    st.none(),
    st.from_regex(r"\A[245]\.[0-9]{1,3}\.[0-9]{1,3}\Z"),
    st.text(max_size=8),
)
words = st.sampled_from(
    [
        "user",
        "unknown",
        "mailbox",
        "full",
        "quota",
        "blocked",
        "spamhaus",
        "greylisted",
        "try",
        "again",
        "later",
        "rate",
        "limit",
        "550",
        "5.1.1",
        "4.7.1",
        "relay",
        "access",
        "denied",
        "policy",
        "spam",
        "virus",
        "expired",
        "timed",
        "out",
        "dmarc",
        "spf",
        "no",
        "such",
        "user",
        "disabled",
        "moved",
        "null",
        "mx",
        "host",
        "not",
        "found",
        "[TSS04]",
        "gsmtp",
        "outlook.com",
        "🙂",
        "é",
        "ß",
    ]
)
texts = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.lists(words, max_size=25).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["dsn", "bounce", "complaint", "auto_reply"]),
    action=st.one_of(
        st.none(), st.sampled_from(["failed", "delayed", "delivered", "relayed", "Failed", ""])
    ),
    status=statuses,
    code=st.one_of(st.none(), st.integers(min_value=100, max_value=599)),
    text=texts,
    host=st.one_of(st.none(), st.sampled_from(["mx.google.com", "mx.yandex.ru", "x"])),
)
def test_classify_is_total_and_speaks_the_vocabulary(kind, action, status, code, text, host):
    report = RecipientReport("a@example.org", action, status, code, text, host)
    got = classify(report, kind=kind, reporting_mta=host)
    assert got.reason in REASONS
    assert got.bounce_type in BOUNCE_TYPES
    assert RULE.fullmatch(got.rule), got.rule
    # bounce type follows the reason, except the documented temporary-status softening
    if got.bounce_type != REASONS[got.reason]:
        assert (REASONS[got.reason], got.bounce_type) == ("hard", "soft")
    # the cache never changes an answer
    _classify.cache_clear()
    assert classify(report, kind=kind, reporting_mta=host) == got


@settings(max_examples=150, deadline=None)
@given(text=st.lists(words, min_size=1, max_size=25).map(" ".join))
def test_case_and_white_space_do_not_matter(text: str) -> None:
    a = classify(RecipientReport("a@example.org", "failed", None, None, text))
    b = classify(RecipientReport("a@example.org", "failed", None, None, "  " + text.upper()))
    c = classify(RecipientReport("a@example.org", "failed", None, None, text.replace(" ", "\n ")))
    assert a == b == c
