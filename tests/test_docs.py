"""The documentation (README.md and docs/*.md) covers what users and other programs rely on:
every command, every reason, every table and view of the database, the example configuration;
every link in it resolves; the README stays a short front page; the CHANGELOG exists."""

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
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCS = "\n".join([README, *(p.read_text(encoding="utf-8") for p in PAGES)])


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented_and_has_help(name: str) -> None:
    assert f"bouncewatch {name}" in DOCS, f"the docs never show `bouncewatch {name}`"
    assert (main.commands[name].help or "").strip(), f"`{name}` has no --help text"


def test_the_readme_opens_with_the_two_commands() -> None:
    head = README[:1500]
    assert "make demo" in head and "make test" in head


@pytest.mark.parametrize("reason", list(REASONS))
def test_every_reason_is_documented(reason: str) -> None:
    assert re.search(rf"`{reason}`\s*\|\s*{REASONS[reason]}\s*\|", DOCS), reason


@pytest.mark.parametrize("bounce_type", BOUNCE_TYPES)
def test_every_bounce_type_is_documented(bounce_type: str) -> None:
    assert f"| `{bounce_type}` |" in DOCS


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
    missing = [n for n in names if f"`{n}`" not in DOCS]
    assert not missing, f"not in the docs: {missing}"


def test_the_example_configuration_is_in_the_docs_and_loads() -> None:
    from bouncewatch.config import load_config

    example = (ROOT / "examples" / "config.toml").read_text(encoding="utf-8")
    assert example.strip() in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    settings = load_config(ROOT / "examples" / "config.toml")
    assert settings.mailboxes and settings.mailboxes[0].name == "bounces"


def test_the_changelog_has_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "## Unreleased" in text


def _anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not re.match(r"#{1,6} ", line):
            continue
        title = line.lstrip("#").strip().lower()
        out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_link_resolves(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        resolves = file.exists() and (
            not anchor or anchor in _anchors(file.read_text(encoding="utf-8"))
        )
        if not resolves:
            broken.append(target)
    assert not broken, f"{page.name}: {broken}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = set(re.findall(r"\(docs/([\w-]+\.md)\)", README))
    assert {p.name for p in PAGES} <= linked


def test_the_readme_is_a_front_page() -> None:
    """What it is, the two commands, what the demo showed, five steps to one's own mailbox,
    then links: the reference lives in docs/."""
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings == [
        "What the demo just showed",
        "Point it at your own mailbox",
        "Documentation",
    ]
    steps = README.split("## Point it at your own mailbox")[1].split("\n## ")[0]
    assert re.findall(r"^(\d)\. \*\*", steps, re.M) == ["1", "2", "3", "4", "5"]
    assert "LoadCredential=" in steps and "password_credential" in steps
    assert len(README.splitlines()) < 150


def test_the_readme_install_steps_use_only_what_exists() -> None:
    """The files the steps install and the options they pass are real."""
    steps = README.split("## Point it at your own mailbox")[1]
    assert "systemd/bouncewatch.service" in steps
    unit = (ROOT / "systemd" / "bouncewatch.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/bouncewatch/bin/bouncewatch run" in unit
    assert "LoadCredential=imap-password:/etc/bouncewatch/imap-password" in unit
    assert "LoadCredential=imap-password:/etc/bouncewatch/imap-password" in steps
    config = re.search(r"cat > /etc/bouncewatch/config.toml <<'EOF'\n(.*?)\n\s*EOF", steps, re.S)
    assert config is not None
    import textwrap
    import tomllib

    parsed = tomllib.loads(textwrap.dedent(config.group(1)))
    assert parsed["mailbox"][0]["password_credential"] == "imap-password"


def test_shell_completion_is_documented() -> None:
    assert "_BOUNCEWATCH_COMPLETE=bash_source" in DOCS
    assert "_BOUNCEWATCH_COMPLETE=zsh_source" in DOCS
