"""Fast paths of the header work and the classification, each against the general path it
stands in for: the same answer on every input, generated to sit on the border of the fast
path's shape (and across it)."""

from __future__ import annotations

import re
from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.classify.api import (
    CARRIER_DOMAINS,
    CARRIER_MX,
    _names_whole,
    _other_address,
    _other_address_searched,
    in_domains,
)
from bouncewatch.parse.bodytext import strip_html
from bouncewatch.parse.headers import (
    _QUOTED_NAME_ADDR_RE,
    address_list,
    iso_date,
    unescape,
)

# --- '"Name" <local@domain>' without the standard address parser -----------------------------


def general(values: list[str]) -> list[str]:
    """address_list's general path: the standard library's parser."""
    out = []
    for _, addr in getaddresses([unescape(v) for v in values]):
        addr = addr.strip().strip("<>").strip()
        if "@" in addr:
            out.append(addr)
    return out


#: atoms of the fast path's shape, mostly, and now and then any character at all
ATOM = st.text(alphabet="abXZ09!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=6) | st.text(
    alphabet="abcXYZ019!#$%&'*+/=?^_`{|}~-.@\"\\ <>(),:;[]é", min_size=0, max_size=8
)
NAME = st.text(alphabet="ab ,.<>@()[];:é", max_size=12) | st.text(
    alphabet='ab ,.<>@()[];:\\"é\t\r\n', max_size=12
)
BLANKS = st.text(alphabet=" \t\r\n\x0b\x85\u2028", max_size=3)


@settings(max_examples=3000, deadline=None)
@given(
    lead=BLANKS,
    name=NAME,
    gap=BLANKS,
    local=st.lists(ATOM, min_size=1, max_size=3),
    domain=st.lists(ATOM, min_size=1, max_size=3),
    tail=BLANKS | st.sampled_from([", x@y", ",", " (c)", ">", "\n"]),
)
def test_quoted_name_address_as_the_standard_parser_reads_it(
    lead: str, name: str, gap: str, local: list[str], domain: list[str], tail: str
) -> None:
    value = f'{lead}"{name}"{gap}<{".".join(local)}@{".".join(domain)}>{tail}'
    assert address_list([value]) == general([value]), value


@settings(max_examples=500, deadline=None)
@given(st.from_regex(_QUOTED_NAME_ADDR_RE, fullmatch=True))
def test_every_value_of_the_fast_shape(value: str) -> None:
    assert address_list([value]) == general([value]), value


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet='a.@"<> \t\n,\\é', max_size=40))
def test_address_list_on_any_text(value: str) -> None:
    if _QUOTED_NAME_ADDR_RE.fullmatch(value):
        assert address_list([value]) == general([value]), value


def test_the_fast_path_is_taken() -> None:
    """(so that the properties above test it, not only the general path)"""
    assert _QUOTED_NAME_ADDR_RE.fullmatch('"Neko, Nyaan" \n    <neko.nyaan@example.co.jp>')
    assert address_list(['"Neko, Nyaan" <neko.nyaan@example.co.jp>']) == [
        "neko.nyaan@example.co.jp"
    ]


# --- carrier domains without a regex ----------------------------------------------------------


def as_regex(domains: tuple[str, ...], before: str) -> re.Pattern[str]:
    """The regex `in_domains` stands in for."""
    alternatives = "|".join(re.escape(d) for d in domains)
    return re.compile(f"(?:^|[{re.escape(before)}])(?:{alternatives})$")


HOST_PIECES = st.sampled_from([*CARRIER_DOMAINS, *CARRIER_MX, "x", ".", "@", "\n", "jp", "-"])


@settings(max_examples=3000, deadline=None)
@given(
    pieces=st.lists(HOST_PIECES | st.text(alphabet="a.@\nj", max_size=3), max_size=4),
    which=st.sampled_from([(CARRIER_DOMAINS, "@."), (CARRIER_MX, ".")]),
)
def test_in_domains_is_the_regex(pieces: list[str], which: tuple[tuple[str, ...], str]) -> None:
    host = "".join(pieces)
    domains, before = which
    assert in_domains(host, domains, before) == bool(as_regex(domains, before).search(host)), host


def test_in_domains_examples() -> None:
    assert in_domains("ezweb.ne.jp", CARRIER_DOMAINS, "@.")
    assert in_domains("mail.i.softbank.jp\n", CARRIER_DOMAINS, "@.")
    assert not in_domains("notezweb.ne.jp", CARRIER_DOMAINS, "@.")
    assert not in_domains("x@softbank.jp", CARRIER_MX, ".")


# --- HTML: the blanks of the stripped text ----------------------------------------------------

_ALL_BLANKS_RE = re.compile(r"[ \t\r\f\v\xa0]+")


def blanks_then_lines(text: str) -> str:
    """How strip_html's last step was written: every run of blanks replaced by a regex."""
    text = _ALL_BLANKS_RE.sub(" ", "\n".join(text.splitlines()))
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=" \t\r\n\f\v\xa0\x85\u2028\u3000\x1cab<>&;é", max_size=60))
def test_strip_html_blanks(text: str) -> None:
    # no tag, no entity left to change: strip_html's result is its last step's
    plain = text.replace("<", "").replace(">", "").replace("&", "")
    assert strip_html(plain) == blanks_then_lines(plain), repr(plain)


# --- a diagnostic that names the recipient itself ---------------------------------------------

ADDRESSES = ["a@b.cd", "Jo.Ann@Example.ORG", "x@a.b", "postmaster@b.cd", ".a@b.cd", "a+b@x-y.z"]
ADDRESSES += ["é@b.cd", "a@b", "a.@b.cd"]
TEXT_PIECES = st.sampled_from(
    [*ADDRESSES, "x", "x@", "@", ".", ".c", "-", "_", "<", ">", " ", ":", "'", "=", "é", "A"]
)


@settings(max_examples=2000, deadline=None)
@given(
    address=st.sampled_from(ADDRESSES),
    pieces=st.lists(TEXT_PIECES | st.text(alphabet="ab.@-<> ", max_size=3), max_size=6),
    original=st.none() | st.sampled_from(ADDRESSES),
)
def test_other_address_as_the_regex_finds(
    address: str, pieces: list[str], original: str | None
) -> None:
    diagnostic = "".join(pieces)
    assert _other_address(diagnostic, address, original) == _other_address_searched(
        diagnostic, address, original
    ), (diagnostic, address, original)


def test_names_whole_is_taken() -> None:
    assert _names_whole("550 5.1.1 <Jo.Ann@example.org>: User unknown", "jo.ann@Example.org")
    assert not _names_whole("550 <xa@b.cd> unknown", "a@b.cd")
    assert not _names_whole("550 <a@b.cd.ef> unknown", "a@b.cd")


@settings(max_examples=3000, deadline=None)
@given(
    address=st.sampled_from(ADDRESSES),
    before=st.lists(TEXT_PIECES, max_size=3),
    after=st.lists(TEXT_PIECES, max_size=3),
    upper=st.booleans(),
    original=st.none() | st.sampled_from(ADDRESSES),
)
def test_other_address_when_the_text_quotes_the_recipient(
    address: str, before: list[str], after: list[str], upper: bool, original: str | None
) -> None:
    quoted = address.upper() if upper else address
    diagnostic = f"550 {''.join(before)}{quoted}{''.join(after)}"
    assert _other_address(diagnostic, address, original) == _other_address_searched(
        diagnostic, address, original
    ), (diagnostic, address, original)


# --- dates: the month looked up as written, then lower-cased ---------------------------------


@pytest.mark.parametrize("month", ["Mar", "mar", "MAR", "mAr"])
def test_month_in_any_case(month: str) -> None:
    assert iso_date(f"Tue, 5 {month} 2024 23:10:00 -0200") == "2024-03-06T01:10:00Z"


def test_not_a_month() -> None:
    assert iso_date("Tue, 5 Mrz 2024 23:10:00 +0000") is None
