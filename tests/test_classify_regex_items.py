"""The phrase matcher reads a pattern's top-level items itself (no private `re` modules):
each construct the phrase tables use gives the item the anchor finder expects."""

from __future__ import annotations

import pytest

from bouncewatch.classify.matcher import anchor_of
from bouncewatch.classify.regex_items import top_level_items


@pytest.mark.parametrize(
    ("pattern", "items"),
    [
        ("ab", (("literal", 97), ("literal", 98))),
        (r"\.", (("literal", 46),)),
        ("[.]", (("literal", 46),)),
        ("[^>]", (("not_literal", 62),)),
        (r"\s", (("in", (("category", "space"),)),)),
        (r"\b", (("at", "boundary"),)),
        ("^", (("at", "beginning"),)),
        ("a+", (("repeat", (1, None, (("literal", 97),))),)),
        ("a{2,3}?", (("min_repeat", (2, 3, (("literal", 97),))),)),
        ("(?<!not )x", (("assert", "(?<!not )"), ("literal", 120))),
        ("(?:is )?", (("repeat", (0, 1, (("group", "(?:is )"),))),)),
        ("[a-z]", (("in", (("range", (97, 122)),)),)),
        ("a|b", (("in", (("literal", 97), ("literal", 98))),)),
    ],
)
def test_items_of_each_construct(pattern: str, items: tuple[object, ...]) -> None:
    assert top_level_items(pattern) == items


def test_a_prefix_common_to_all_alternatives_is_hoisted() -> None:
    items = top_level_items("user unknown|user gone")
    assert items[:5] == tuple(("literal", ord(c)) for c in "user ")
    assert items[5][0] == "branch"
    # the hoisted "user " is a whole word at the top level: the phrase's anchor
    assert anchor_of("user unknown|user gone") == "user"
    assert anchor_of("mailbox unavailable|mailbox full") == "mailbox"
    assert anchor_of("no such user (?:here|there)") == "such"


def test_a_pattern_re_cannot_compile_is_refused() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        top_level_items("(unclosed")


@pytest.mark.parametrize(
    ("pattern", "group"),
    [
        ("(a(b)c)d", "(a(b)c)"),
        ("(?:[)(]|x)d", "(?:[)(]|x)"),
        (r"(?:\)|\()d", r"(?:\)|\()"),
        ("(?:[]a)]|b)d", "(?:[]a)]|b)"),
        ("(?P<n>ab)d", "(?P<n>ab)"),
    ],
)
def test_a_group_ends_at_its_own_closing_parenthesis(pattern: str, group: str) -> None:
    assert top_level_items(pattern) == (("group", group), ("literal", ord("d")))


def test_a_quantifier_takes_only_the_last_character_of_a_plain_run() -> None:
    items = top_level_items("no mx+ here")
    assert items[:4] == (("literal", 110), ("literal", 111), ("literal", 32), ("literal", 109))
    assert items[4] == ("repeat", (1, None, (("literal", 120),)))
    assert items[5:] == tuple(("literal", ord(c)) for c in " here")
    assert top_level_items("ab{x")[1:] == (("literal", 98), ("literal", 123), ("literal", 120))
