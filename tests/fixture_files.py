"""Where fixtures are: tests name a fixture file by its stem ("sendmail-text-01") and a folder
by its path under fixtures/ ("formats/exim") or, when unambiguous, its own name, so fixtures
can be regrouped without touching the tests that use them.  Stems are unique across the tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def all_emls() -> list[Path]:
    """Every fixture message, at any depth."""
    return sorted(FIXTURES.rglob("*.eml"))


@cache
def _by_stem() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for eml in all_emls():
        other = out.setdefault(eml.stem, eml)
        assert other == eml, f"two fixtures named {eml.stem}: {other}, {eml}"
    return out


def folder(name: str) -> Path:
    """The fixture folder at `name` under fixtures/ ("formats/exim"), or the only folder
    whose own name is `name` ("exim-text")."""
    direct = FIXTURES / name
    if direct.is_dir():
        return direct
    found = {p.parent for p in all_emls() if p.parent.name == name}
    if len(found) != 1:
        raise LookupError(f"{len(found)} fixture folders named {name!r}: {sorted(found)}")
    return found.pop()


def emls(name: str) -> list[Path]:
    """The messages of fixture folder `name` (see `folder`)."""
    return sorted(folder(name).glob("*.eml"))


def fixture(stem: str) -> Path:
    """The fixture file `<stem>.eml`, wherever it is."""
    try:
        return _by_stem()[stem]
    except KeyError:
        raise LookupError(f"no fixture named {stem!r}") from None


def format_folder(decoder: str) -> Path:
    """The fixture folder of a format decoder: fixtures/formats/<decoder>/."""
    return FIXTURES / "formats" / decoder
