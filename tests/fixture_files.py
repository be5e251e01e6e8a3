"""Where fixtures are: tests name a fixture folder or file by its name, not by its path, so
fixtures can be grouped into deeper folders (`fixtures/formats/<decoder>/…`) without touching
the tests that use them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def all_emls() -> list[Path]:
    """Every fixture message, at any depth."""
    return sorted(FIXTURES.rglob("*.eml"))


@cache
def _folders() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for eml in all_emls():
        folder = eml.parent
        other = out.setdefault(folder.name, folder)
        assert other == folder, f"two fixture folders named {folder.name}: {other}, {folder}"
    return out


def folder(name: str) -> Path:
    """The fixture folder named `name` ("exim-text"), wherever it is grouped."""
    try:
        return _folders()[name]
    except KeyError:
        raise LookupError(f"no fixture folder named {name!r}") from None


def emls(name: str) -> list[Path]:
    """The messages of the fixture folder named `name`."""
    return sorted(folder(name).glob("*.eml"))


def fixture(stem: str) -> Path:
    """The fixture file `<stem>.eml`; its folder is the stem up to the last "-NN"."""
    return folder(stem.rsplit("-", 1)[0]) / f"{stem}.eml"
