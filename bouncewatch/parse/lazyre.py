"""Patterns compiled on first use.

The format decoders hold about a hundred module-level patterns; a run that reads only
standard reports uses none of them, and compiling them all is a tenth of `parse`'s start-up.
`lazy_compile` returns an object that compiles its pattern the first time one of its methods
is used and then hands out the compiled pattern's own bound methods: after that first call a
search costs what it costs on the compiled pattern.  `compile_all` compiles every pattern
made so far (the tests use it, so that a bad pattern still fails at once).
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")
#: what is read from the compiled pattern: its methods and attributes
_COMPILED = (*_METHODS, "flags", "groups", "groupindex")
_made: list[_LazyPattern] = []


class _LazyPattern:
    __slots__ = ("_flags", "pattern", *_COMPILED)

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags

    def compile(self) -> re.Pattern[Any]:
        compiled = re.compile(self.pattern, self._flags)
        for name in _COMPILED:
            setattr(self, name, getattr(compiled, name))
        return compiled

    def __getattr__(self, name: str) -> Any:  # only for a slot not filled yet
        if name not in _COMPILED:
            raise AttributeError(name)
        return getattr(self.compile(), name)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r})"


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, done when the pattern is first used."""
    lazy = _LazyPattern(pattern, int(flags))
    _made.append(lazy)
    return cast(re.Pattern[str], lazy)


def compile_all() -> int:
    """Compile every lazy pattern made so far (a bad one raises re.error); how many."""
    for lazy in _made:
        lazy.compile()
    return len(_made)


__all__ = ["compile_all", "lazy_compile"]
