"""The README documents what users and other programs rely on: every command, every reason,
every table and view of the database, every configuration section, and the CHANGELOG exists."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bouncewatch.cli import main
from bouncewatch.model import BOUNCE_TYPES, REASONS
from bouncewatch.store import Store

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented_and_has_help(name: str) -> None:
    assert f"bouncewatch {name}" in README, f"README never shows `bouncewatch {name}`"
    assert (main.commands[name].help or "").strip(), f"`{name}` has no --help text"


def test_the_readme_opens_with_the_two_commands() -> None:
    head = README[:1500]
    assert "make demo" in head and "make test" in head


@pytest.mark.parametrize("reason", list(REASONS))
def test_every_reason_is_documented(reason: str) -> None:
    assert re.search(rf"`{reason}`\s*\|\s*{REASONS[reason]}\s*\|", README), reason


@pytest.mark.parametrize("bounce_type", BOUNCE_TYPES)
def test_every_bounce_type_is_documented(bounce_type: str) -> None:
    assert f"| `{bounce_type}` |" in README


def test_every_table_and_view_of_the_database_is_documented(tmp_path: Path) -> None:
    Store.open(tmp_path / "docs.db").close()
    conn = sqlite3.connect(tmp_path / "docs.db")
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%'"
        )
    ]
    conn.close()
    assert {"messages", "events", "addresses", "state_changes", "meta", "suppressed"} <= set(names)
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"not in the README: {missing}"


def test_the_example_configuration_is_in_the_readme_and_loads() -> None:
    from bouncewatch.config import load_config

    example = (ROOT / "examples" / "config.toml").read_text(encoding="utf-8")
    assert example.strip() in README
    settings = load_config(ROOT / "examples" / "config.toml")
    assert settings.mailboxes and settings.mailboxes[0].name == "bounces"


def test_the_changelog_has_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "## Unreleased" in text
