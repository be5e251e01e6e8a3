"""The layers import one way: source -> parse -> classify -> record -> acknowledge, on a floor
(`bouncewatch.smtp`) and a model that import nothing above them.  Every module's imports are
read (including those inside functions and TYPE_CHECKING blocks) and checked against the
arrows drawn in docs/architecture.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bouncewatch"

#: module prefix -> the project modules it may import (its own package is always allowed)
ONLY = {
    "bouncewatch.smtp": (),
    "bouncewatch.model": (),
    "bouncewatch.parse": ("bouncewatch.model", "bouncewatch.smtp"),
    "bouncewatch.classify": ("bouncewatch.model", "bouncewatch.smtp"),
    # the state machine: its settings type is the only thing it takes from outside
    "bouncewatch.store.policy": ("bouncewatch.model", "bouncewatch.smtp"),
    "bouncewatch.analyze": ("bouncewatch.model", "bouncewatch.parse", "bouncewatch.classify"),
    # trust: signed return paths and the verdicts, pure; its settings are its own
    "bouncewatch.trust": (),
    # the cycle collector paused for a batch: the store and ingest use it
    "bouncewatch.gcpause": (),
}
#: the steps that run a message through the pipeline, and the outer layers that drive them
_PIPELINE = ("bouncewatch.parse", "bouncewatch.classify", "bouncewatch.analyze")
_DRIVERS = ("bouncewatch.service", "bouncewatch.daemon", "bouncewatch.cli")
#: module prefix -> project modules it must not import (what stands above or beside it)
NEVER = {
    "bouncewatch.store": (*_PIPELINE, "bouncewatch.sources", "bouncewatch.reports", *_DRIVERS),
    "bouncewatch.sources": (*_PIPELINE, "bouncewatch.store", "bouncewatch.reports", *_DRIVERS),
    "bouncewatch.reports": (*_PIPELINE, "bouncewatch.sources", *_DRIVERS),
    "bouncewatch.ingest": _DRIVERS,
}
#: private modules of the standard library nobody may import
PRIVATE = ("re._", "sre_", "email._", "_sqlite3")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str | None = None) -> set[str]:
    """Every module `path` (module `name`) imports, relative imports resolved; `from x import
    y` counts as x.y as well as x (y may be a module)."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _rule(name: str, table: dict[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]] | None:
    """The most specific rule of `table` for module `name`."""
    matching = [p for p in table if _within(name, p)]
    return (max(matching, key=len), table[max(matching, key=len)]) if matching else None


def violations(name: str, imported: set[str]) -> list[str]:
    out = []
    project = sorted(i for i in imported if _within(i, "bouncewatch") and i != "bouncewatch")
    # `from bouncewatch.classify import classify` is one import, not two
    project = [i for i in project if not any(i.startswith(p + ".") for p in project)]
    only = _rule(name, ONLY)
    if only is not None:
        own, allowed = only
        for target in project:
            if not _within(target, own) and not any(_within(target, a) for a in allowed):
                out.append(f"{name} imports {target}: {own} may import only {allowed or 'stdlib'}")
    never = _rule(name, NEVER)
    if never is not None and only is None:
        own, banned = never
        for target in project:
            if any(_within(target, b) for b in banned):
                out.append(f"{name} imports {target}: {own} must not import it")
    out.extend(
        f"{name} imports {target}: a private module of the standard library"
        for target in sorted(imported)
        if target.startswith(PRIVATE)
    )
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_follow_the_arrows(path: Path) -> None:
    assert violations(module_name(path), imports_of(path)) == []


@pytest.mark.parametrize(
    ("module", "imported", "complaint"),
    [
        ("bouncewatch.parse.api", {"bouncewatch.classify"}, "may import only"),
        ("bouncewatch.classify.api", {"bouncewatch.parse.text"}, "may import only"),
        ("bouncewatch.smtp.status", {"bouncewatch.model"}, "may import only stdlib"),
        ("bouncewatch.parse.formats.exim", {"bouncewatch.store.database"}, "may import only"),
        ("bouncewatch.store.policy", {"bouncewatch.store.database"}, "may import only"),
        ("bouncewatch.store.recorder", {"bouncewatch.parse"}, "must not import"),
        ("bouncewatch.sources.imap", {"bouncewatch.store.database"}, "must not import"),
        ("bouncewatch.classify.matcher", {"re._parser"}, "private module"),
    ],
)
def test_an_import_against_the_arrows_is_caught(module: str, imported: set[str], complaint: str):
    [found] = violations(module, imported)
    assert complaint in found


def test_imports_inside_functions_and_relative_imports_are_read(tmp_path: Path) -> None:
    module = tmp_path / "api.py"
    module.write_text(
        "from . import registry\n"
        "from ..classify import classify\n"
        "def late():\n"
        "    import bouncewatch.store.database\n",
        encoding="utf-8",
    )
    found = imports_of(module, "bouncewatch.parse.api")
    assert {"bouncewatch.parse.registry", "bouncewatch.classify", "bouncewatch.store.database"} <= (
        found
    )
    assert len(violations("bouncewatch.parse.api", found)) == 2
    assert len(MODULES) > 50  # the walk found the package


@pytest.mark.parametrize("package", ["smtp", "parse", "classify", "store", "reports"])
def test_each_layer_says_what_it_owns_and_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text("utf-8")))
    assert doc and "May import:" in doc


def test_the_architecture_page_names_modules_that_exist() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`?\b((?:[a-z_]+/)*[a-z_]+\.py)\b", page))
    assert len(named) > 10
    root = PACKAGE.parent
    missing = sorted(
        n
        for n in named
        if not ((PACKAGE / n).exists() or (root / n).exists() or any(PACKAGE.rglob(n)))
    )
    assert missing == []
