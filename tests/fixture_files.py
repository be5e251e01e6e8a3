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


#: decoders whose fixtures are still in a folder named otherwise than the decoder
_FORMAT_FOLDERS_BEFORE_GROUPING = {
    "exchange": "exchange-legacy",
    "exim": "exim-text",
    "gmail": "gmail-text",
    "office365": "office365-text",
    "opensmtpd": "opensmtpd-text",
    "postfix": "postfix-text",
    "sendmail": "sendmail-text",
}


def format_folder(decoder: str) -> Path:
    """The fixture folder of a format decoder: fixtures/formats/<decoder>/."""
    grouped = FIXTURES / "formats" / decoder
    if grouped.is_dir():
        return grouped
    return folder(_FORMAT_FOLDERS_BEFORE_GROUPING.get(decoder, decoder))
