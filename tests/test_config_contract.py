"""One configuration model: every problem at once (each naming its key, "did you mean" for
unknown keys); check-config rejects what run rejects; the install steps of docs/service.md work as
written, a systemd credential included; one duration/date grammar for every option."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bouncewatch.cli import main
from bouncewatch.config import load_config, settings_from_dict
from bouncewatch.durations import parse_duration, parse_moment
from bouncewatch.errors import ConfigError
from bouncewatch.hosts import is_loopback

REPO = Path(__file__).resolve().parent.parent


def bw(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("CREDENTIALS_DIRECTORY",)}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bouncewatch", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
    )


def test_every_problem_is_reported_together_with_did_you_mean(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[[mailbox]]\nhost = "imap.example.com"\nusername = "u"\npasword_file = "p"\n'
        'port = 0\n[schedule]\npoll_intervall = "1m"\n[policy]\nsoft_window = "soon"\n'
        '[log]\nlevel = "loud"\n'
    )
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    problems = exc.value.problems
    text = "\n".join(problems)
    assert "mailbox[0].pasword_file: unknown key (did you mean password_file?)" in text
    assert "mailbox[0].port: must be between 1 and 65535" in text
    assert "schedule.poll_intervall: unknown key (did you mean poll_interval?)" in text
    assert "policy.soft_window: invalid duration" in text
    assert "log.level: must be one of" in text
    assert "set exactly one of password_file" in text
    assert all(p.startswith(f"{cfg}: ") for p in problems)
    res = CliRunner().invoke(main, ["check-config", "--config", str(cfg)])
    assert res.exit_code == 1
    assert f"{len(problems)} problems:" in res.output
    for p in problems:
        assert p in res.output


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[schedule]\npoll_interval = "1m"\n', "no [[mailbox]] configured"),
        (
            'database = "no-such-folder/bw.db"\n[[mailbox]]\nhost = "127.0.0.1"\n'
            'username = "u"\npassword_env = "BW_PW"\n',
            "database: the folder",
        ),
    ],
)
def test_check_config_rejects_what_run_rejects(tmp_path: Path, text: str, problem: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    env = {"BW_PW": "x"}
    checked = bw("check-config", "--config", str(cfg), env=env)
    ran = bw("run", "--once", "--config", str(cfg), env=env)
    assert checked.returncode == 1 and problem in checked.stderr, checked.stderr
    assert ran.returncode == 78 and problem in ran.stderr, ran.stderr
    assert not (tmp_path / "no-such-folder").exists()


def test_plain_imap_hosts_are_judged_by_one_rule() -> None:
    for host in ("localhost", "127.0.0.1", "::1", "[::1]", "127.1.2.3", "LOCALHOST."):
        assert is_loopback(host)
    for host in ("imap.localhost", "localhost.example.com", "10.0.0.1", "imap.example.com"):
        assert not is_loopback(host)
        with pytest.raises(ConfigError, match="only allowed for a loopback host"):
            settings_from_dict(
                {
                    "mailbox": [
                        {"host": host, "username": "u", "password_env": "X", "security": "plain"}
                    ]
                }
            )


def _install_block() -> str:
    readme = (REPO / "docs" / "service.md").read_text()
    section = readme[readme.index("## Install") :]
    return section[section.index("```sh") : section.index("```", section.index("```sh") + 5)]


def test_the_readme_install_steps_give_the_service_its_secret(tmp_path: Path) -> None:
    """Follow the steps: the example config copied as is, the secret written root-only, the
    unit's LoadCredential= handing it over.  check-config passes before the service runs, and
    the service (systemd's $CREDENTIALS_DIRECTORY) reads the secret."""
    steps = _install_block()
    secret_path = re.search(r"printf %s \"[^\"]*\" > (\S+?)'", steps)
    assert secret_path is not None
    assert "install -m 0640 examples/config.toml /etc/bouncewatch/config.toml" in steps
    unit = (REPO / "systemd" / "bouncewatch.service").read_text()
    assert re.search(r"^DynamicUser=yes$", unit, re.M)
    cred = re.search(r"^LoadCredential=([^:]+):(\S+)$", unit, re.M)
    assert cred is not None and cred.group(2) == secret_path.group(1)
    config = tmp_path / "config.toml"
    shutil.copy(REPO / "examples" / "config.toml", config)
    assert f'password_credential = "{cred.group(1)}"' in config.read_text()
    before = bw("check-config", "--config", str(config))
    assert before.returncode == 0, before.stderr
    assert "will be read from $CREDENTIALS_DIRECTORY at run time" in before.stdout
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / cred.group(1)).write_text("the-imap-password")
    under_systemd = bw(
        "check-config",
        "--config",
        str(config),
        env={"CREDENTIALS_DIRECTORY": str(creds), "STATE_DIRECTORY": str(tmp_path)},
    )
    assert under_systemd.returncode == 0, under_systemd.stderr
    assert "secret readable (not shown)" in under_systemd.stdout
    assert "the-imap-password" not in under_systemd.stdout + under_systemd.stderr


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("1w2d", timedelta(days=9)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_one_duration_grammar(text: str, delta: timedelta) -> None:
    now = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    assert parse_duration(text) == delta
    assert parse_moment(text, now=now) == now - delta
    settings = settings_from_dict({"schedule": {"poll_interval": text}})
    assert settings.schedule.poll_interval == delta


@pytest.mark.parametrize("since", ["1h30m", "1w2d", "90m", "2026-11-01", "2026-11-01T10:00:00Z"])
def test_every_since_option_takes_the_same_forms(tmp_path: Path, since: str) -> None:
    db = tmp_path / "bw.db"
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", "--db", str(db), str(REPO / "fixtures")])
    assert res.exit_code in (0, 1), res.output
    for command in (["report"], ["export"]):
        res = runner.invoke(main, [*command, "--db", str(db), "--since", since])
        assert res.exit_code == 0, (command, res.output)
    for command in (["report"], ["export"]):
        res = runner.invoke(main, [*command, "--db", str(db), "--since", "last tuesday"])
        assert res.exit_code == 2 and "1h30m" in res.output
