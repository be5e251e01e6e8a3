"""Text helpers: the case-folded pattern search matches what re.IGNORECASE matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bouncewatch.parse.text import FoldedPattern

PATTERN = r"out of (?:the )?office|auto[- ]?reply|\bsmtp\b|mail delivery|urlaub|réponse"
FOLDED = FoldedPattern(PATTERN)
PLAIN = re.compile(PATTERN, re.I)


@given(
    st.lists(
        st.sampled_from(["Out Of Office", "AUTO-Reply", "SMTP", "xsmtp", "Mail DELIVERY", "Ré"])
        | st.text(max_size=6),
        max_size=6,
    ).map("".join)
)
def test_same_matches_as_ignorecase(text: str) -> None:
    got, want = FOLDED.search(text), PLAIN.search(text)
    assert (got and got.span()) == (want and want.span())


def test_non_ascii_text_is_searched_case_insensitively() -> None:
    assert FOLDED.search("RÉPONSE automatique") is not None
    assert FOLDED.search("URLAUB bis Montag") is not None
    assert FOLDED.search("Newsletter") is None


def test_pattern_must_be_lower_case() -> None:
    with pytest.raises(ValueError):
        FoldedPattern(r"Out of office")
