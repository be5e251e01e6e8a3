"""A fast, ordered phrase matcher: many regexes, a handful of searches per text.

Searching several hundred regexes (or one alternation of them) over every diagnostic costs
hundreds of microseconds in Python's backtracking engine.  Instead each phrase gets an
*anchor*: a whole literal word that every text the phrase matches must contain.  Anchors are
derived automatically from the pattern, so phrase authors just write regexes.  At match time
the text is split into ASCII words once (a bytes ``translate`` and a ``split``, both in C);
a set intersection (in C) finds the anchors present, and only their phrases are searched, in
their fixed priority order; the first that matches wins.

Building the index reads each pattern for its anchor but compiles none: a phrase's regex is
compiled the first time a text holds its anchor, so a run that meets a few kinds of bounce
compiles a few dozen of the several hundred (`PhraseIndex.compile_all` compiles them all).

Rules for phrases (checked when the index is built, and by the tests, which also compile
every pattern):

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


#: the code points of word characters (ASCII letters and digits)
_WORD_CODES = frozenset(c for c in range(128) if chr(c).isalnum())


def _is_word_char(code: int) -> bool:
    return code in _WORD_CODES


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


#: characters with a meaning in a pattern; one without any is a plain string of literals
_METACHARACTERS = re.compile(r"[\\.^$*+?{}\[\]()|]")
#: a run of word characters (see the module docstring: ASCII letters and digits)
_WORD_RUN = re.compile(r"[A-Za-z0-9]+")


def anchor_of(pattern: str) -> str | None:
    """The anchor word of a phrase pattern, or None if it has none (see module docstring)."""
    return _shape(pattern)[0]


def _shape(pattern: str) -> tuple[str | None, bool, bool]:
    """(anchor, word_start, word_end) of a phrase pattern: its anchor word, and whether it
    begins / ends with a literal word character.

    Most phrases are plain strings (no character with a meaning in a pattern): their words
    are its runs of word characters, read with one regex.  The others are read item by item
    (`_items_shape`), which gives the same answer for plain strings."""
    if _METACHARACTERS.search(pattern) is not None:
        return _items_shape(top_level_items(pattern, validate=False))
    found = _WORD_RUN.findall(pattern)
    if not found:
        return None, False, False
    return (
        max(found, key=_rank),
        _WORD_RUN.match(pattern) is not None,
        _is_word_char(ord(pattern[-1])),
    )


def _items_shape(items: Sequence[Item]) -> tuple[str | None, bool, bool]:
    """`_shape` read from a pattern's top-level items."""
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
        if op == "literal" and av in _WORD_CODES:
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

    def word(item: Item) -> bool:
        return item[0] == "literal" and isinstance(item[1], int) and _is_word_char(item[1])

    return best, bool(items) and word(items[0]), bool(items) and word(items[-1])


def _has_upper(pattern: str) -> bool:
    """Upper-case letters outside escapes (``\\S``, ``\\W`` are fine)."""
    unescaped = re.sub(r"\\.", "", pattern) if "\\" in pattern else pattern
    return unescaped != unescaped.lower()


def _rank(word: str) -> tuple[bool, bool, bool, int]:
    return (word not in COMMON_WORDS, len(word) >= 4, not word.isdigit(), len(word))


def normalise(text: str) -> str:
    """Lower-case and squash white space: the form phrases are written against."""
    return " ".join(text.casefold().split())


def words(norm: str) -> list[bytes]:
    """The ASCII words of a normalised text (duplicates kept: cheaper than a set)."""
    return norm.encode("utf-8", "replace").translate(_TOKEN_TABLE).split()


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class Phrase:
    """One phrase; `payload` is what the caller gets back when it matches.

    Its regex is compiled the first time a text is searched for it: a run meets only the
    phrases whose anchor words its texts contain (`PhraseIndex.compile_all` compiles them
    all at once, and says which pattern is not a regex)."""

    __slots__ = ("_regex", "anchor", "pattern", "payload", "priority", "word_end", "word_start")

    def __init__(
        self,
        priority: int,
        pattern: str,
        anchor: str,
        payload: Any,
        word_start: bool,
        word_end: bool,
    ) -> None:
        self.priority = priority
        self.pattern = pattern
        self.anchor = anchor
        self.payload = payload
        #: the pattern begins with a word character: match only at a word start
        self.word_start = word_start
        #: the pattern ends with a word character: match only up to a word end
        self.word_end = word_end
        self._regex: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Phrase({self.priority}, {self.pattern!r}, anchor={self.anchor!r})"

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled on first use)."""
        regex = self._regex
        if regex is None:
            regex = self._regex = re.compile(self.pattern)
        return regex

    def search(self, norm: str) -> bool:
        regex = self._regex or self.compiled()
        m = regex.search(norm)
        if not (self.word_start or self.word_end):
            return m is not None
        while m is not None:
            start, end = m.span()
            if (not self.word_start or start == 0 or norm[start - 1] not in _ALNUM) and (
                not self.word_end or end == len(norm) or norm[end] not in _ALNUM
            ):
                return True
            m = regex.search(norm, start + 1)
        return False


class PhraseIndex:
    """Phrases in priority order, looked up by anchor key."""

    def __init__(self, entries: Iterable[tuple[str, Any]]) -> None:
        phrases: list[Phrase] = []
        self._by_word: dict[bytes, list[Phrase]] = {}
        for priority, (pattern, payload) in enumerate(entries):
            if _has_upper(pattern):
                raise ValueError(f"phrase must be lower case: {pattern!r}")
            anchor, word_start, word_end = _shape(pattern)
            if anchor is None:
                raise ValueError(f"phrase has no anchor word: {pattern!r}")
            phrase = Phrase(priority, pattern, anchor, payload, word_start, word_end)
            phrases.append(phrase)
            self._by_word.setdefault(anchor.encode("ascii"), []).append(phrase)
        self.phrases: Sequence[Phrase] = tuple(phrases)
        self._anchors = frozenset(self._by_word)
        #: anchor -> priorities of its phrases (ints sort fast, in C)
        self._priorities = {k: [p.priority for p in v] for k, v in self._by_word.items()}

    def compile_all(self) -> None:
        """Compile every phrase's regex now rather than on first use.  Raises ValueError
        naming a pattern that is not a regular expression."""
        for phrase in self.phrases:
            try:
                phrase.compiled()
            except re.error as exc:
                raise ValueError(f"not a regular expression: {phrase.pattern!r}: {exc}") from None

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
