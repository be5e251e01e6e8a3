"""Which build runs: the pure-Python package, or the compiled one (`make compiled`), never a
compiled module left in the source tree, where it would shadow its edited source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from click.testing import CliRunner

import bouncewatch
from bouncewatch.cli import main
from bouncewatch.parse import lean

REPO = Path(__file__).resolve().parent.parent
#: `make test-compiled` sets it: the suite must then run the installed compiled package
EXPECT_COMPILED = os.environ.get("BOUNCEWATCH_EXPECT_COMPILED") == "1"


def test_no_compiled_module_lies_in_the_source_tree() -> None:
    found = [
        p.relative_to(REPO).as_posix()
        for p in (REPO / "bouncewatch").rglob("*")
        if p.name.endswith((".so", ".pyd"))
    ]
    assert found == [], "compiled modules in the source tree shadow their source"


def test_the_suite_runs_the_build_it_was_asked_to() -> None:
    assert bouncewatch.COMPILED is EXPECT_COMPILED, bouncewatch.__file__
    lean_file = lean.__file__ or ""
    if EXPECT_COMPILED:
        assert not Path(bouncewatch.__file__).resolve().is_relative_to(REPO / "bouncewatch")
        assert lean_file.endswith(tuple(EXTENSION_SUFFIXES))
    else:
        assert lean_file.endswith(".py")


def test_the_version_says_which_build_runs() -> None:
    out = CliRunner().invoke(main, ["--version"]).output
    build = "compiled" if EXPECT_COMPILED else "pure Python"
    assert out.strip() == f"bouncewatch, version {bouncewatch.__version__} ({build})"


def _python_in(checkout: Path, code: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a Python that imports bouncewatch from `checkout` (from its parent)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=checkout.parent,
        env={**os.environ, "PYTHONPATH": str(checkout)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_compiled_module_in_a_source_checkout_stops_the_import(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "bouncewatch" / "parse").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text('[project]\nname = "bouncewatch"\n')
    shutil.copy(REPO / "bouncewatch" / "__init__.py", checkout / "bouncewatch")
    stale = checkout / "bouncewatch" / "parse" / f"lean{EXTENSION_SUFFIXES[0]}"
    stale.write_bytes(b"")
    proc = _python_in(checkout, "import bouncewatch")
    assert proc.returncode != 0
    assert "ImportError: compiled modules inside the source tree" in proc.stderr
    assert str(stale) in proc.stderr
    stale.unlink()  # the same tree without it imports, as pure Python
    proc = _python_in(checkout, "import bouncewatch; print(bouncewatch.BUILD)")
    assert proc.stdout.strip() == "pure Python", proc.stderr


def test_the_build_refuses_to_compile_in_place(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "setup.py"), "build_ext", "--inplace"],
        cwd=tmp_path,
        env={**os.environ, "BOUNCEWATCH_COMPILE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "refused for an in-place or editable build" in proc.stderr
    test_no_compiled_module_lies_in_the_source_tree()
