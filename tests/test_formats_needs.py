"""`needs`: the strings one of which a decoder's format always writes in its text.  Once an
earlier decoder has decoded the body text, the registry skips a decoder whose `needs` are
all absent from it.  That skip must never change an answer: the decoder, run anyway, would
have returned None."""

from __future__ import annotations

from pathlib import Path

import pytest

from bouncewatch.parse import registry
from bouncewatch.parse.formats._common import body_text, message_info
from bouncewatch.parse.lean import read_message

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").rglob("*.eml"))
WITH_NEEDS = [d for d in registry.FORMAT_DETECTORS if getattr(d, "needs", ())]


def read(path: Path):  # type: ignore[no-untyped-def]
    return read_message(path.read_bytes().replace(b"\r\n", b"\n"))


def without(text: str, needs: tuple[str, ...]) -> str:
    """`text` with every occurrence of `needs` broken (a NUL after its first character)."""
    for _ in range(3):  # (breaking one may not make another: but make sure)
        for marker in needs:
            text = text.replace(marker, marker[0] + "\0" + marker[1:])
    assert not any(m in text for m in needs)
    return text


def test_only_screened_decoders_say_what_they_need() -> None:
    assert len(WITH_NEEDS) > 30
    for decoder in WITH_NEEDS:
        needs = decoder.needs  # type: ignore[attr-defined]
        assert decoder.screened, decoder.name
        assert isinstance(needs, tuple) and all(isinstance(n, str) and n for n in needs)


@pytest.mark.parametrize("decoder", WITH_NEEDS, ids=lambda d: d.name)
def test_a_text_without_what_a_decoder_needs_is_never_its(decoder: registry.FormatDecoder) -> None:
    """Over every fixture: the text with the decoder's `needs` broken is not recognised; and
    each fixture the decoder recognises holds one of them."""
    needs = decoder.needs  # type: ignore[attr-defined]
    recognised = 0
    for path in FIXTURES:
        msg = read(path)
        text = body_text(msg)
        if decoder.detect(msg) is not None:
            recognised += 1
            assert any(n in text for n in needs), path
        msg = read(path)
        message_info(msg).text = without(text, needs)
        assert decoder.detect(msg) is None, path
    assert recognised > 0  # its own fixtures


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_the_skip_changes_no_answer(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry's answer with the skip is the one every decoder run in turn gives."""
    found = registry.detect(read(path))
    plain = tuple((*step[:5], ()) for step in registry._DEFAULT_PLAN)
    monkeypatch.setattr(registry, "_DEFAULT_PLAN", plain)
    assert registry.detect(read(path)) == found
