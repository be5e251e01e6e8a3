"""`bouncewatch parse` loads what it needs and no more: start-up is most of the cost of
parsing one message (`benchmarks/cli.py` measures it; these tests hold what it depends on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fixture_files import fixture

from bouncewatch.config import Settings, read_verp_secrets
from bouncewatch.model import DEFAULT_PARSE_OPTIONS

#: runs the command as `python -m bouncewatch` does, then writes which modules it loaded and
#: how many of the classifier's phrases it compiled
SCRIPT = """
import atexit, json, sys

out = sys.argv.pop(1)


def report():
    api = sys.modules.get("bouncewatch.classify.api")
    phrases = api.INDEX.phrases if api else ()
    with open(out, "w") as f:
        json.dump({
            "modules": sorted(sys.modules),
            "phrases": len(phrases),
            "compiled": sum(p._regex is not None for p in phrases),
        }, f)


atexit.register(report)
sys.argv[0] = "bouncewatch"
import bouncewatch.config.locate
from pathlib import Path

# (hermetic: the machine's own /etc/bouncewatch/config.toml is not read)
bouncewatch.config.locate.DEFAULT_CONFIG_PATH = Path(out).with_name("absent.toml")
from bouncewatch.cli import main

main()
"""

#: what `parse` of a DSN with no VERP secret must not load: the database layer, the reports,
#: the daemon, the IMAP client, hashing (signatures are checked only with a secret),
#: flufl.bounce (a DSN needs no fallback), the "did you mean" of a misspelt setting
NOT_FOR_PARSE = (
    "sqlite3",
    "sqlite_utils",
    "bouncewatch.store.database",
    "bouncewatch.store.recorder",
    "bouncewatch.reports",
    "bouncewatch.daemon",
    "bouncewatch.sources.imap",
    "imaplib",
    "hashlib",
    "hmac",
    "bouncewatch.trust.signing",
    "bouncewatch.trust.verdict",
    "flufl.bounce",
    "difflib",
)


def run_parse(tmp_path: Path, config: str | None, message: Path) -> tuple[dict, list[dict]]:
    """Run `parse --json message` with a configuration file holding `config` (None: with no
    configuration file); (what it loaded, its output lines)."""
    out = tmp_path / "loaded.json"
    env = {k: v for k, v in os.environ.items() if k != "BOUNCEWATCH_CONFIG"}
    argv = ["parse", "--json", str(message)]
    if config is not None:
        (tmp_path / "config.toml").write_text(config)
        argv[2:2] = ["--config", str(tmp_path / "config.toml")]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out), *argv],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return json.loads(out.read_text()), lines


#: what it does not load either when there is no configuration file: the settings' code
#: (it runs on the built-in defaults) and the TOML reader
NOT_WITHOUT_CONFIG = (
    "bouncewatch.config.settings",
    "bouncewatch.config.load",
    "bouncewatch.store.policy",
    "bouncewatch.trust.settings",
    "tomllib",
)


def test_parse_loads_no_database_no_reports_no_hashing(tmp_path: Path) -> None:
    loaded, lines = run_parse(tmp_path, "", fixture("rfc3464-generic-01"))
    assert lines[0]["kind"] == "dsn" and lines[0]["recipients"]
    modules = set(loaded["modules"])
    assert "bouncewatch.config.settings" in modules  # the script ran the command, configured
    assert sorted(m for m in NOT_FOR_PARSE if m in modules) == []


def test_parse_without_a_configuration_file_loads_no_settings_code(tmp_path: Path) -> None:
    loaded, lines = run_parse(tmp_path, None, fixture("rfc3464-generic-01"))
    _, same = run_parse(tmp_path, "", fixture("rfc3464-generic-01"))
    assert lines == same  # an empty file gives the built-in defaults too
    modules = set(loaded["modules"])
    assert "bouncewatch.classify.api" in modules
    assert sorted(m for m in (*NOT_FOR_PARSE, *NOT_WITHOUT_CONFIG) if m in modules) == []


def test_the_built_in_defaults_parse_uses_are_those_of_the_settings() -> None:
    settings = Settings()
    assert settings.parse_options == DEFAULT_PARSE_OPTIONS
    assert read_verp_secrets(settings.trust) == ()


def test_parse_of_one_message_compiles_few_of_the_phrases(tmp_path: Path) -> None:
    loaded, lines = run_parse(tmp_path, "", fixture("rfc3464-generic-01"))
    assert lines[0]["recipients"][0]["rule"].startswith(("text:", "status:", "provider:"))
    assert loaded["phrases"] > 500
    assert 0 < loaded["compiled"] < loaded["phrases"] // 10


def test_a_verp_secret_loads_the_signature_check(tmp_path: Path) -> None:
    (tmp_path / "verp-secret").write_text("correct horse battery staple 2026\n")
    config = '[trust]\nverp_secret_file = "verp-secret"\n'
    loaded, lines = run_parse(tmp_path, config, fixture("rfc3464-generic-01"))
    assert "bouncewatch.trust.signing" in loaded["modules"]
    assert lines[0]["signed_return_path"] is None  # the fixture's return path is not signed
    assert lines[0]["recipients"][0]["authenticated"] is False
