"""Plain-text helpers beneath the SMTP code finders: squashing white space, searching a text
for the matches of a pattern that stand alone, and a fast case-insensitive search."""

from __future__ import annotations

import re
from collections.abc import Iterator


def squash(text: str | None) -> str | None:
    """Collapse runs of white space (folded headers, wrapped lines) to one space."""
    if text is None:
        return None
    out = " ".join(text.split())
    return out or None


_DIGIT_OR_DOT = frozenset("0123456789.")


def standalone_matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern`'s matches in `text` that do not follow a digit or a dot."""
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return
        start = m.start()
        if start == 0 or text[start - 1] not in _DIGIT_OR_DOT:
            yield m
            pos = m.end()
        else:
            pos = start + 1


def first_standalone(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first of `standalone_matches` (inlined: these run several times per recipient)."""
    m = pattern.search(text)
    while m is not None:
        start = m.start()
        if start == 0 or text[start - 1] not in _DIGIT_OR_DOT:
            return m
        m = pattern.search(text, start + 1)
    return None


class FoldedPattern:
    """A case-insensitive search made fast: an `re.I` pattern over an alternation of words
    tries every alternative at every position (Python's engine has no literal prefix to skip
    to under IGNORECASE).  ASCII text is lower-cased and searched by the same pattern without
    the flag -- for ASCII, exactly the same matches; other text goes to the `re.I` pattern.
    The pattern must be written in lower case."""

    __slots__ = ("_pattern", "folded", "text")

    def __init__(self, pattern: str) -> None:
        if pattern != pattern.lower():
            raise ValueError("FoldedPattern needs a lower-case pattern")
        self.text = pattern
        self.folded = re.compile(pattern)
        self._pattern: re.Pattern[str] | None = None  # compiled when non-ASCII text comes

    @property
    def pattern(self) -> re.Pattern[str]:
        """The `re.I` pattern, for text that is not ASCII."""
        if self._pattern is None:
            self._pattern = re.compile(self.text, re.I)
        return self._pattern

    def search(self, text: str) -> re.Match[str] | None:
        if text.isascii():
            return self.folded.search(text.lower())
        return self.pattern.search(text)
