"""The registry is the only list of formats: every decoder in it describes itself, lives in
its own module, has its own fixture folder, and the docs' format table is derived from it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from fixture_files import format_folder

import bouncewatch.parse.formats as formats_package
from bouncewatch.parse.base import FormatDecoder
from bouncewatch.parse.registry import DETECTORS, FORMAT_DETECTORS, GATED, formats_table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "formats.md"


@pytest.mark.parametrize("decoder", FORMAT_DETECTORS, ids=lambda d: d.name)
def test_decoder_describes_itself(decoder: FormatDecoder) -> None:
    assert isinstance(decoder, FormatDecoder)
    for field in ("title", "description", "reference"):
        value = getattr(decoder, field)
        assert isinstance(value, str) and value.strip() == value and value, field
        assert "\n" not in value and "|" not in value, f"{field} breaks the table row"
    assert isinstance(decoder.screened, bool)
    assert re.match(r"https?://\S+|Sisimai \S+", decoder.reference), decoder.reference


@pytest.mark.parametrize("decoder", FORMAT_DETECTORS, ids=lambda d: d.name)
def test_decoder_lives_in_the_module_named_after_it(decoder: FormatDecoder) -> None:
    module = importlib.import_module(type(decoder).__module__)
    assert module.__name__ == f"bouncewatch.parse.formats.{decoder.name}"
    # (read from the source: a module compiled by mypyc has no __doc__)
    source = Path(module.__file__ or "").with_name(f"{decoder.name}.py")
    doc = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8")))
    assert doc and doc.strip()


def test_every_format_module_is_registered() -> None:
    modules = {
        m.name for m in pkgutil.iter_modules(formats_package.__path__) if not m.name.startswith("_")
    }
    assert modules == {d.name for d in FORMAT_DETECTORS}


@pytest.mark.parametrize("decoder", FORMAT_DETECTORS, ids=lambda d: d.name)
def test_decoder_has_its_fixture_folder(decoder: FormatDecoder) -> None:
    emls = sorted(format_folder(decoder.name).glob("*.eml"))
    assert len(emls) >= 3, f"{decoder.name}: {len(emls)} fixtures"
    assert all(p.with_suffix(".json").exists() for p in emls)


def test_screened_decoders_are_the_gated_ones() -> None:
    assert {d.name for d in FORMAT_DETECTORS if d.screened} == GATED
    assert [d.name for d in DETECTORS if d.name in GATED] == sorted(
        GATED, key=[d.name for d in FORMAT_DETECTORS].index
    )


def test_docs_format_table_is_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    begin = text.index("\n", text.index("<!-- formats table:")) + 1
    end = text.index("<!-- end of formats table -->")
    assert text[begin:end] == formats_table(), (
        "docs/formats.md is out of date: python3 tools/update_formats_doc.py"
    )


def test_table_has_one_row_per_decoder_in_order() -> None:
    rows = formats_table().splitlines()[2:]
    assert [re.search(r"\| `([a-z0-9_]+)` \|", r).group(1) for r in rows] == [
        d.name for d in FORMAT_DETECTORS
    ]


def test_readme_links_the_formats_doc() -> None:
    assert "(docs/formats.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
