"""The package as users get it: a wheel built from this tree installs with `pip install` into a
fresh virtual environment, and its `bouncewatch` command runs from anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE = next(iter(sorted((REPO / "fixtures" / "providers" / "gmail").glob("*.eml"))))
pytestmark = pytest.mark.slow


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin/` of a fresh venv into which the wheel was pip-installed."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO, cwd=root)
    (wheel,) = dist.glob("bouncewatch-*.whl")
    venv.EnvBuilder(with_pip=True).create(root / "env")
    bin_dir = root / "env" / "bin"
    _run(bin_dir / "pip", "install", "-q", wheel, cwd=root)
    return bin_dir


def _clean_env() -> dict[str, str]:
    """No trace of this checkout: the installed package must stand on its own."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {k: v for k, v in os.environ.items() if k in keep}


def test_the_installed_command_reports_its_version(installed: Path, tmp_path: Path) -> None:
    out = _run(installed / "bouncewatch", "--version", cwd=tmp_path, env=_clean_env())
    assert out.strip() == "bouncewatch, version 0.1.0 (pure Python)"
    where = _run(
        installed / "python",
        "-c",
        "import bouncewatch; print(bouncewatch.__file__)",
        cwd=tmp_path,
        env=_clean_env(),
    )
    assert str(REPO) not in where and str(installed.parent) in where


def test_the_installed_command_parses_a_bounce(installed: Path, tmp_path: Path) -> None:
    message = tmp_path / "bounce.eml"
    message.write_bytes(FIXTURE.read_bytes())
    out = _run(
        installed / "bouncewatch", "parse", "--json", message, cwd=tmp_path, env=_clean_env()
    )
    expected = json.loads(FIXTURE.with_suffix(".json").read_text(encoding="utf-8"))
    result = json.loads(out)
    assert result["kind"] == expected["kind"]
    assert [r["address"] for r in result["recipients"]] == [
        r["address"] for r in expected["recipients"]
    ]
    assert [r["reason"] for r in result["recipients"]] == [
        r["reason"] for r in expected["recipients"]
    ]


def test_shell_completion_comes_from_the_installed_command(installed: Path, tmp_path: Path) -> None:
    env = _clean_env() | {"_BOUNCEWATCH_COMPLETE": "bash_source"}
    script = _run(installed / "bouncewatch", cwd=tmp_path, env=env)
    assert "_bouncewatch_completion" in script and "complete " in script
    env = _clean_env() | {
        "_BOUNCEWATCH_COMPLETE": "bash_complete",
        "COMP_WORDS": "bouncewatch rep",
        "COMP_CWORD": "1",
    }
    assert "report" in _run(installed / "bouncewatch", cwd=tmp_path, env=env)
