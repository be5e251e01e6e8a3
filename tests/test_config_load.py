"""Configuration: the TOML shape, defaults, and errors that name the key."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bouncewatch.config import (
    PolicyConfig,
    Settings,
    load_config,
    parse_duration,
    resolve_password,
    settings_from_dict,
    to_toml,
)
from bouncewatch.errors import ConfigError

FULL = """
database = "state/bouncewatch.db"

[[mailbox]]
name = "bounces"
host = "imap.example.com"
port = 993
security = "tls"
username = "bounces@example.com"
password_file = "imap-password"
ca_file = "/etc/ssl/private-ca.pem"
folder = "INBOX"
processed_folder = "Processed"
quarantine_folder = "Unrecognized"
after = "move"

[[mailbox]]
name = "local"
host = "127.0.0.1"
port = 1143
security = "plain"
username = "test"
password_env = "BW_TEST_PASSWORD"
after = "flag"

[schedule]
poll_interval = "90s"
idle = false
batch_size = 50
max_message_bytes = 2000000

[policy]
hard_confirmations = 2
soft_threshold = 4
soft_window = "10d"
suspend_for = "2h"
soft_to_hard_after = "180d"
max_suspensions = 2
own_domains = ["Example.COM"]
own_addresses = ["postmaster@example.net"]
fold_local_part = false

[parse]
list_source_headers = ["X-Campaign"]
verp = "b\\\\+(?P<local>[^=]+)=(?P<domain>[^@]+)@"

[log]
level = "debug"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_full_example_loads(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, FULL))
    assert s.database == tmp_path / "state/bouncewatch.db"  # relative to the config file
    assert [m.name for m in s.mailboxes] == ["bounces", "local"]
    assert s.mailboxes[0].password_file == tmp_path / "imap-password"
    assert s.mailboxes[1].port == 1143 and s.mailboxes[1].after == "flag"
    assert s.schedule.poll_interval == timedelta(seconds=90)
    assert s.schedule.idle is False and s.schedule.batch_size == 50
    assert s.policy.hard_confirmations == 2
    assert s.policy.suspend_for == timedelta(hours=2)
    assert s.policy.own_domains == ("example.com",)
    assert s.policy.fold_local_part is False
    assert s.parse_options.list_source_headers == ("X-Campaign",)
    assert s.parse_options.max_bytes == 2000000
    assert s.parse_options.verp is not None
    assert s.parse_options.verp.search("b+jane=example.org@example.com")
    assert s.log.level == "debug"


def test_shipped_example_config_is_valid() -> None:
    example = Path(__file__).parent.parent / "examples" / "config.toml"
    s = load_config(example)
    assert s.mailboxes and s.policy == PolicyConfig(own_domains=s.policy.own_domains)


def test_empty_and_missing_config_give_defaults(tmp_path: Path) -> None:
    s = load_config(write(tmp_path, ""))
    assert s.mailboxes == ()
    assert s.policy == PolicyConfig()
    assert load_config(None).database.name == "bouncewatch.db"


def test_database_defaults_to_state_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/bouncewatch")
    assert Settings().database == Path("/var/lib/bouncewatch/bouncewatch.db")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[mailbox]]\nhost="h"\nusername="u"\npassword_env="X"\npasword="x"',
            "mailbox[0].pasword: unknown key",
        ),
        (
            '[[mailbox]]\nhost="h"\nusername="u"\npassword="x"',
            "mailbox[0].password: unknown key (passwords",
        ),
        ("[policy]\nsoft_treshold = 3", "policy.soft_treshold: unknown key"),
        ('databse = "x.db"', "databse: unknown key"),
        ("[policy]\nhard_confirmations = 3", "policy.hard_confirmations: must be between 1 and 2"),
        ('[policy]\nsoft_threshold = "3"', "policy.soft_threshold: expected an integer, got str"),
        ("[policy]\nsoft_window = 14", "policy.soft_window: expected a duration"),
        ('[policy]\nsoft_window = "14 days"', "policy.soft_window: invalid duration"),
        ('[schedule]\nidle = "yes"', "schedule.idle: expected true or false"),
        ('[[mailbox]]\nusername="u"\npassword_env="X"', "mailbox[0].host: required key is missing"),
        ('[[mailbox]]\nhost="h"\nusername="u"', "mailbox[0]: set exactly one of password_file"),
        (
            '[[mailbox]]\nhost="h"\nusername="u"\npassword_env="X"\npassword_file="f"',
            "found password_file, password_env",
        ),
        (
            '[[mailbox]]\nhost="imap.example.com"\nusername="u"\npassword_env="X"\nsecurity="plain"',
            'mailbox[0].security: "plain"',
        ),
        (
            '[[mailbox]]\nhost="h"\nusername="u"\npassword_env="X"\nsecurity="ssl"',
            "mailbox[0].security: must be one of tls, starttls, plain",
        ),
        (
            '[[mailbox]]\nhost="h"\nusername="u"\nauth="xoauth2"',
            "mailbox[0].oauth2_token_file: required",
        ),
        (
            '[[mailbox]]\nhost="h"\nusername="u"\npassword_env="X"\n[[mailbox]]\nhost="h"\nusername="u"\npassword_env="X"\nname="bounces"',
            "mailbox[1].name: duplicate",
        ),
        ('[parse]\nverp = "(unclosed"', "parse.verp: invalid regular expression"),
        ('[parse]\nverp = "x(?P<local>.*)"', "parse.verp: needs the named groups"),
        ('[log]\nlevel = "loud"', "log.level: must be one of"),
        ('[policy]\nown_addresses = ["nobody"]', "policy.own_addresses[0]"),
        ("policy = 3", "policy: expected a table"),
        ("database = ", "not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    assert message in str(exc.value)
    assert str(tmp_path / "config.toml") in str(exc.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("2h", 7200), ("14d", 14 * 86400), ("1w", 604800), ("1h30m", 5400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, "k") == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "d", "10", "10x", "-5m", "5m garbage", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^k: "):
        parse_duration(text, "k")


def test_loopback_hosts_allow_plain() -> None:
    for host in ("localhost", "127.0.0.1", "::1", "127.1.2.3"):
        base = {"host": host, "username": "u", "password_env": "X", "security": "plain"}
        s = settings_from_dict({"mailbox": [base]})
        assert s.mailboxes[0].security == "plain"
        assert s.mailboxes[0].port == 143


def test_passwords_resolve_lazily_and_never_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "imap-password").write_text("s3cret-file\n")
    monkeypatch.setenv("BW_TEST_PASSWORD", "s3cret-env")
    s = load_config(write(tmp_path, FULL))
    assert resolve_password(s.mailboxes[0]) == "s3cret-file"
    assert resolve_password(s.mailboxes[1]) == "s3cret-env"
    printed = to_toml(s.masked())
    assert "s3cret" not in printed
    assert tomllib.loads(printed)["policy"]["soft_window"] == "10d"
    # the printed form is itself a valid configuration with the same meaning
    again = settings_from_dict(tomllib.loads(printed))
    assert again.policy == s.policy and again.mailboxes == s.mailboxes


def test_password_sources_fail_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BW_UNSET", raising=False)
    s = settings_from_dict(
        {"mailbox": [{"host": "h", "username": "u", "password_env": "BW_UNSET"}]}
    )
    with pytest.raises(ConfigError, match="password_env: variable BW_UNSET is not set"):
        resolve_password(s.mailboxes[0])
    s = settings_from_dict(
        {"mailbox": [{"host": "h", "username": "u", "password_credential": "imap"}]}
    )
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match="CREDENTIALS_DIRECTORY is not set"):
        resolve_password(s.mailboxes[0])
    (tmp_path / "imap").write_text("from-credential")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert resolve_password(s.mailboxes[0]) == "from-credential"
    s = settings_from_dict(
        {"mailbox": [{"host": "h", "username": "u", "password_file": str(tmp_path / "none")}]}
    )
    with pytest.raises(ConfigError, match="password_file: cannot read"):
        resolve_password(s.mailboxes[0])
