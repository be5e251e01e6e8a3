"""Addresses are decided in one place: the VERP rule the parser applies to a bounce's envelope
headers is the rule the store applies to a reported address, and the Original-Recipient
choice is made once."""

from __future__ import annotations

import re
from email import message_from_string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.model import DEFAULT_VERP
from bouncewatch.parse import verp
from bouncewatch.smtp.address import (
    _domain_form_labels,
    decode_verp,
    domain_form,
    normalise,
    sent_to,
)

VERP = re.compile(DEFAULT_VERP, re.I)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bounces+jane=example.org@lists.example.com", "jane@example.org"),
        ("<bounces+jane=example.org@lists.example.com>", "jane@example.org"),
        ("News <bounces+Jane=Example.org@lists.example.com>", "Jane@Example.org"),
        ("jane@example.org", None),
        ("bounces+jane@lists.example.com", None),
    ],
)
def test_one_verp_rule_for_envelope_headers_and_reported_addresses(
    value: str, expected: str | None
) -> None:
    assert decode_verp(value, VERP) == expected
    msg = message_from_string(f"Delivered-To: {value}\n\nbody\n")
    assert verp.recipient(msg, VERP) == expected
    if expected is not None and value.startswith(("bounces", "<")):
        assert normalise(value, verp=VERP)[0] == expected.lower()


def test_a_pattern_may_name_the_whole_address() -> None:
    pattern = re.compile(r"^b-(?P<address>[^@]+@[^@]+?)\.verp@")
    assert decode_verp("b-jane@example.org.verp@lists.example.com", pattern) == "jane@example.org"
    assert normalise("b-Jane@Example.org.verp@lists.example.com", verp=pattern) == (
        "jane@example.org",
        "example.org",
    )


@pytest.mark.parametrize(
    ("address", "original", "expected"),
    [
        ("final@mailbox.example", "rfc822; List@Example.org", "list@example.org"),
        ("final@mailbox.example", None, "final@mailbox.example"),
        ("final@mailbox.example", "IMCEAEX-_O=ORG@example.org", "final@mailbox.example"),
        ("final@mailbox.example", "localpart", "final@mailbox.example"),
        ("final@mailbox.example", "user@nodot", "final@mailbox.example"),
    ],
)
def test_state_belongs_to_the_address_the_sender_used(
    address: str, original: str | None, expected: str
) -> None:
    assert sent_to(address, original)[0] == expected


def test_domains_have_one_spelling() -> None:
    assert normalise("<Jane@XN--BCHER-KVA.Example.>") == ("jane@bücher.example", "bücher.example")
    assert normalise("Jane@Example.org", fold_local_part=False)[0] == "Jane@example.org"


# --- the ASCII shortcut of domain_form --------------------------------------------------------

_DOMAIN_PARTS = st.sampled_from(
    ["example", "EXAMPLE", "Org", "xn--", "XN--", "xn--bcher-kva", "Xn--Bcher-Kva", "xn--zz",
     "xn--", ".", "..", "-", " ", "\t", "\u00a0", "\u2003", "b\u00fccher", "BU\u0308CHER",
     "\u0130", "\u212a", "\u00df", "1", "_", "a"]
)  # fmt: skip
_DOMAINS = st.one_of(
    st.lists(_DOMAIN_PARTS, max_size=8).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=30),
    st.text(max_size=20),
)


@settings(max_examples=2000)
@given(_DOMAINS)
def test_domain_form_shortcut_gives_what_the_label_by_label_path_gives(domain: str) -> None:
    assert domain_form(domain) == _domain_form_labels(domain)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("Example.ORG.", "example.org"),
        (" example.org ", "example.org"),
        ("xn--bcher-kva.example", "b\u00fccher.example"),
        ("XN--BCHER-KVA.Example", "b\u00fccher.example"),
        ("sub.xn--bcher-kva.example.", "sub.b\u00fccher.example"),
        ("xn--zz.example", "xn--zz.example"),  # not punycode: kept as written
        ("BU\u0308CHER.example", "b\u00fccher.example"),  # NFC
    ],
)
def test_domain_form(domain: str, expected: str) -> None:
    assert domain_form(domain) == expected
