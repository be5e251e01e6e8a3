"""A fast, ordered phrase matcher: many regexes, a handful of searches per text.

Searching several hundred regexes (or one alternation of them) over every diagnostic costs
hundreds of microseconds in Python's backtracking engine.  Instead each phrase gets an
*anchor*: a whole literal word that every text the phrase matches must contain.  Anchors are
derived automatically from the pattern, so phrase authors just write regexes.  At match time
the text is split into ASCII words once (a bytes ``translate`` and a ``split``, both in C);
a set intersection (in C) finds the anchors present, and only their phrases are searched, in
their fixed priority order; the first that matches wins.

Rules for phrases (checked when the index is built, and by the tests):

- lower case (texts are lower-cased and their white space squashed before matching);
- at least one whole literal word at the top level of the pattern: starting at a word start
  (pattern start, after a literal non-word character, ``\\b`` or ``\\s``) and ending at a word
  end.  Among several, a word not in ``COMMON_WORDS`` is preferred, then one of 4+
  characters, then one that is not a number, then the longest.  Write
  ``throttled`` and ``throttling`` as two phrases rather than the stem ``throttl``;
- phrases match whole words: one that begins (ends) with a word character only matches
  from the start (up to the end) of a word, so ``quota`` never matches inside ``overquota``
  and ``greylist`` does not match ``greylisted`` (list the word forms you mean).

"Word" means a run of ASCII letters and digits; everything else separates words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from bouncewatch.classify.regex_items import Item, top_level_items

#: frequent words in bounce texts: poor anchors, used only if a phrase has no other word
COMMON_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "is",
        "are",
        "be",
        "been",
        "has",
        "have",
        "not",
        "no",
        "or",
        "and",
        "with",
        "your",
        "you",
        "this",
        "that",
        "it",
        "its",
        "mail",
        "email",
        "e",
        "mailbox",
        "message",
        "messages",
        "recipient",
        "recipients",
        "address",
        "sender",
        "user",
        "account",
        "domain",
        "server",
        "service",
        "host",
        "please",
        "rejected",
        "rejection",
        "blocked",
        "access",
        "denied",
        "error",
        "delivery",
        "smtp",
        "ip",
    ]
)

# bytes -> bytes table: ASCII letters/digits stay, everything else (incl. non-ASCII) is a space
_TOKEN_TABLE = bytes(
    c if (48 <= c <= 57 or 97 <= c <= 122 or 65 <= c <= 90) else 32 for c in range(256)
)


def _is_word_char(code: int) -> bool:
    return code < 128 and chr(code).isalnum()


def _never_word(members: Any) -> bool:
    """True if a character class's members can only match non-word characters."""
    for op, value in members:
        if op == "literal":
            if _is_word_char(value):
                return False
        elif op == "category":
            if value not in ("space", "not_word"):
                return False
        else:  # ranges, negations, …: be conservative
            return False
    return True


_SEPARATING_ANCHORS = frozenset({"boundary", "beginning", "beginning_string", "end"})


def _is_separator(op: str, value: Any) -> bool:
    """Does this top-level item always consume/assert a word boundary?"""
    if op == "literal":
        return not _is_word_char(value)
    if op == "at":
        return value in _SEPARATING_ANCHORS
    if op == "in":
        return _never_word(value)
    if op in ("repeat", "min_repeat"):
        lo, _hi, sub = value
        return bool(lo >= 1 and len(sub) == 1 and _is_separator(*sub[0]))
    return False


def anchor_of(pattern: str) -> str | None:
    """The anchor word of a phrase pattern, or None if it has none (see module docstring)."""
    items = top_level_items(pattern)
    best: str | None = None
    run: list[str] = []
    run_at_word_start = True  # pattern start: a guard look-behind is added for such phrases
    after_separator = True

    def close(word_end: bool) -> None:
        nonlocal best
        if run and run_at_word_start and word_end:
            word = "".join(run)
            if best is None or _rank(word) > _rank(best):
                best = word

    for op, av in items:
        if op == "assert":  # consumes nothing: transparent
            continue
        if op == "literal" and isinstance(av, int) and _is_word_char(av):
            if not run:
                run_at_word_start = after_separator
            run.append(chr(av))
            after_separator = False
            continue
        sep = _is_separator(op, av)
        close(word_end=sep)
        run = []
        after_separator = sep
    close(word_end=True)  # Phrase.search checks the text's word end after the pattern's end
    return best


def _has_upper(pattern: str) -> bool:
    """Upper-case letters outside escapes (``\\S``, ``\\W`` are fine)."""
    unescaped = re.sub(r"\\.", "", pattern)
    return unescaped != unescaped.lower()


def _rank(word: str) -> tuple[bool, bool, bool, int]:
    return (word not in COMMON_WORDS, len(word) >= 4, not word.isdigit(), len(word))


def _word_edges(pattern: str) -> tuple[bool, bool]:
    """Does the pattern begin / end with a literal word character?"""
    items = top_level_items(pattern)

    def word(item: Item) -> bool:
        return item[0] == "literal" and isinstance(item[1], int) and _is_word_char(item[1])

    return (bool(items) and word(items[0]), bool(items) and word(items[-1]))


def normalise(text: str) -> str:
    """Lower-case and squash white space: the form phrases are written against."""
    return " ".join(text.casefold().split())


def words(norm: str) -> list[bytes]:
    """The ASCII words of a normalised text (duplicates kept: cheaper than a set)."""
    return norm.encode("utf-8", "replace").translate(_TOKEN_TABLE).split()


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True, slots=True)
class Phrase:
    """One compiled phrase; `payload` is what the caller gets back when it matches."""

    priority: int
    pattern: str
    regex: re.Pattern[str]
    anchor: str
    payload: Any
    word_start: bool  #: the pattern begins with a word character: match only at a word start
    word_end: bool  #: the pattern ends with a word character: match only up to a word end

    def search(self, norm: str) -> bool:
        m = self.regex.search(norm)
        if not (self.word_start or self.word_end):
            return m is not None
        while m is not None:
            start, end = m.span()
            if (not self.word_start or start == 0 or norm[start - 1] not in _ALNUM) and (
                not self.word_end or end == len(norm) or norm[end] not in _ALNUM
            ):
                return True
            m = self.regex.search(norm, start + 1)
        return False


class PhraseIndex:
    """Phrases in priority order, looked up by anchor key."""

    def __init__(self, entries: Iterable[tuple[str, Any]]) -> None:
        phrases: list[Phrase] = []
        self._by_word: dict[bytes, list[Phrase]] = {}
        for priority, (pattern, payload) in enumerate(entries):
            if _has_upper(pattern):
                raise ValueError(f"phrase must be lower case: {pattern!r}")
            anchor = anchor_of(pattern)
            if anchor is None:
                raise ValueError(f"phrase has no anchor word: {pattern!r}")
            phrase = Phrase(
                priority, pattern, re.compile(pattern), anchor, payload, *_word_edges(pattern)
            )
            phrases.append(phrase)
            self._by_word.setdefault(anchor.encode("ascii"), []).append(phrase)
        self.phrases: Sequence[Phrase] = tuple(phrases)
        self._anchors = frozenset(self._by_word)
        #: anchor -> priorities of its phrases (ints sort fast, in C)
        self._priorities = {k: [p.priority for p in v] for k, v in self._by_word.items()}

    def order(self, text_words: Iterable[bytes]) -> Sequence[int]:
        """Priorities (= indexes in `phrases`) of the phrases whose anchor is among
        `text_words`, ascending.  Callers fetch the phrases one by one as they try them."""
        hits = self._anchors.intersection(text_words)
        if not hits:
            return ()
        if len(hits) == 1:
            return self._priorities[next(iter(hits))]
        return sorted(chain.from_iterable(map(self._priorities.__getitem__, hits)))

    def candidates(self, text_words: Iterable[bytes]) -> list[Phrase]:
        """Phrases whose anchor is among `text_words`, in priority order."""
        return [self.phrases[i] for i in self.order(text_words)]

    def first(self, norm: str, accept: Any = None) -> Phrase | None:
        """The highest-priority phrase matching `norm` (and accepted by `accept(phrase)`)."""
        for phrase in self.candidates(words(norm)):
            if phrase.search(norm) and (accept is None or accept(phrase)):
                return phrase
        return None
