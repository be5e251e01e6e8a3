"""parse.lazyre: a pattern compiled on first use behaves as the compiled pattern, and every
decoder pattern compiles (a bad one fails here, not on the first message that reaches it)."""

from __future__ import annotations

import re

import pytest

from bouncewatch.parse import lazyre, registry


def test_every_decoder_pattern_compiles() -> None:
    assert registry.FORMAT_DETECTORS  # the decoders' modules are loaded
    assert lazyre.compile_all() >= 100


@pytest.mark.parametrize(
    ("pattern", "flags", "text"),
    [
        (r"^Giving up on (\S+)$", re.M, "x\nGiving up on 192.0.2.1\ny"),
        (r"no such (user|mailbox)", re.I, "550 No Such User here; no such mailbox"),
        (r"(?P<code>[45]\d\d) (?P<rest>.*)", 0, "421 try later"),
    ],
)
def test_same_results_as_the_compiled_pattern(pattern: str, flags: int, text: str) -> None:
    lazy = lazyre.lazy_compile(pattern, flags)
    compiled = re.compile(pattern, flags)
    assert lazy.pattern == pattern
    assert lazy.search(text).group(0) == compiled.search(text).group(0)  # type: ignore[union-attr]
    assert lazy.findall(text) == compiled.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.sub("-", text) == compiled.sub("-", text)
    assert lazy.split(text) == compiled.split(text)
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (
        compiled.flags,
        compiled.groups,
        compiled.groupindex,
    )


def test_a_bad_pattern_fails_when_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazyre, "_made", [])  # not left for the other tests' compile_all
    lazy = lazyre.lazy_compile(r"unclosed (group")
    with pytest.raises(re.error):
        lazy.search("x")
    with pytest.raises(re.error):
        lazyre.compile_all()


def test_unknown_attributes_are_errors() -> None:
    with pytest.raises(AttributeError):
        lazyre.lazy_compile("x").no_such_thing  # type: ignore[attr-defined]  # noqa: B018
