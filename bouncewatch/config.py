"""One TOML file → a frozen Settings object, validated once and passed explicitly.

Every key has a default, so an empty file (or no file at all) gives a working configuration for
the file-based commands.  Unknown keys and wrong types are `ConfigError`s naming the key path,
e.g. ``mailbox[0].pasword: unknown key``.

Secrets are never held in Settings: a mailbox names where its password lives (a file, an
environment variable or a systemd credential) and `resolve_password` reads it when needed.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bouncewatch.errors import ConfigError
from bouncewatch.model import DEFAULT_VERP, ParseOptions

DEFAULT_CONFIG_PATH = Path("/etc/bouncewatch/config.toml")
DEFAULT_DATABASE_NAME = "bouncewatch.db"

SECURITIES = ("tls", "starttls", "plain")
AFTER_ACTIONS = ("move", "flag", "delete")
AUTH_METHODS = ("password", "xoauth2")
LOG_LEVELS = ("debug", "info", "warning", "error")

_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# --- the settings -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MailboxConfig:
    name: str
    host: str
    username: str
    port: int = 993
    security: str = "tls"  #: tls | starttls | plain (plain: loopback hosts only)
    auth: str = "password"  #: password | xoauth2
    password_file: Path | None = None
    password_env: str | None = None
    password_credential: str | None = None  #: name in $CREDENTIALS_DIRECTORY (systemd)
    oauth2_token_file: Path | None = None
    ca_file: Path | None = None
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Unrecognized"
    after: str = "move"  #: move | flag | delete


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    poll_interval: timedelta = timedelta(seconds=60)
    idle: bool = True
    batch_size: int = 500
    max_message_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    hard_confirmations: int = 1
    soft_threshold: int = 3
    soft_window: timedelta = timedelta(days=14)
    suspend_for: timedelta = timedelta(days=30)
    soft_to_hard_after: timedelta = timedelta(days=180)
    max_suspensions: int = 3
    count_blocks: bool = True  #: block bounces count toward the soft threshold
    complaints_suppress: bool = True  #: a complaint makes the address `complained`
    delivered_resets: bool = True  #: a `delivered` report ends a soft-bouncing episode
    own_domains: tuple[str, ...] = ()
    own_addresses: tuple[str, ...] = ()
    fold_local_part: bool = True  #: compare local parts case-insensitively


@dataclass(frozen=True, slots=True)
class ParseConfig:
    list_source_headers: tuple[str, ...] = ("X-Campaign", "List-Id")
    verp: str | None = DEFAULT_VERP


@dataclass(frozen=True, slots=True)
class LogConfig:
    level: str = "info"


@dataclass(frozen=True, slots=True)
class Settings:
    database: Path = field(default_factory=lambda: default_database())
    mailboxes: tuple[MailboxConfig, ...] = ()
    schedule: ScheduleConfig = ScheduleConfig()
    policy: PolicyConfig = PolicyConfig()
    parse: ParseConfig = ParseConfig()
    log: LogConfig = LogConfig()
    path: Path | None = None  #: the file these settings came from (None: built-in defaults)

    @property
    def parse_options(self) -> ParseOptions:
        verp = re.compile(self.parse.verp, re.I) if self.parse.verp else None
        return ParseOptions(
            list_source_headers=self.parse.list_source_headers,
            verp=verp,
            max_bytes=self.schedule.max_message_bytes,
        )

    def with_database(self, database: str | Path) -> Settings:
        return replace(self, database=Path(database))

    def masked(self) -> dict[str, Any]:
        """The effective configuration as plain data, safe to print (holds no secret)."""
        return settings_to_dict(self)


def default_database() -> Path:
    """`bouncewatch.db` in systemd's $STATE_DIRECTORY when set, else in the current directory."""
    state_dir = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(state_dir or ".") / DEFAULT_DATABASE_NAME


# --- loading ------------------------------------------------------------------------------------


def locate_config(path: str | Path | None = None) -> Path | None:
    """The configuration file to read: `path` (from --config or $BOUNCEWATCH_CONFIG) when
    given, else /etc/bouncewatch/config.toml if it exists, else None (built-in defaults)."""
    if path is not None and str(path) != "":
        return Path(path)
    env = os.environ.get("BOUNCEWATCH_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def load_config(path: str | Path | None) -> Settings:
    """Read and validate a TOML file; None gives the built-in defaults."""
    if path is None:
        return Settings()
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    try:
        return replace(settings_from_dict(data, base=path.parent), path=path)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def settings_from_dict(data: Mapping[str, Any], base: Path | None = None) -> Settings:
    """Validate parsed TOML.  Relative paths are taken relative to `base` (the file's folder)."""
    r = _Reader(data, "")
    db = r.opt_str("database")
    mailboxes_raw = r.take("mailbox", [])
    sections = {
        name: r.table(name) for name in ("schedule", "policy", "parse", "log") if name in data
    }
    r.done()
    if not isinstance(mailboxes_raw, list):
        raise ConfigError("mailbox: must be an array of tables ([[mailbox]])")
    mailboxes = tuple(
        _mailbox(m, f"mailbox[{i}]", base, default_name=f"mailbox{i + 1}" if i else "bounces")
        for i, m in enumerate(mailboxes_raw)
    )
    names = [m.name for m in mailboxes]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(f"mailbox[{i}].name: duplicate mailbox name {n!r}")
    return Settings(
        database=_path(db, base) if db else default_database(),
        mailboxes=mailboxes,
        schedule=_schedule(sections.get("schedule")),
        policy=_policy(sections.get("policy")),
        parse=_parse(sections.get("parse")),
        log=_log(sections.get("log")),
    )


def resolve_password(mailbox: MailboxConfig) -> str:
    """Read the mailbox password (or OAuth2 token) from where the configuration says it lives."""
    where = f"mailbox {mailbox.name!r}"
    if mailbox.auth == "xoauth2":
        assert mailbox.oauth2_token_file is not None
        return _read_secret_file(mailbox.oauth2_token_file, f"{where}: oauth2_token_file")
    if mailbox.password_file is not None:
        return _read_secret_file(mailbox.password_file, f"{where}: password_file")
    if mailbox.password_env is not None:
        value = os.environ.get(mailbox.password_env)
        if not value:
            raise ConfigError(
                f"{where}: password_env: variable {mailbox.password_env} is not set or empty"
            )
        return value
    if mailbox.password_credential is not None:
        cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
        if not cred_dir:
            raise ConfigError(
                f"{where}: password_credential: $CREDENTIALS_DIRECTORY is not set "
                "(use LoadCredential= in the systemd unit)"
            )
        return _read_secret_file(
            Path(cred_dir) / mailbox.password_credential, f"{where}: password_credential"
        )
    raise ConfigError(f"{where}: no password source configured")


def parse_duration(value: object, key: str) -> timedelta:
    """'90s', '15m', '2h', '14d', '1w', '1h30m' → timedelta; anything else names the key."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ConfigError(f'{key}: expected a duration such as "90s", "15m", "14d"')
    text = value.strip().lower()
    pos, seconds = 0, 0
    for m in _DURATION_PART.finditer(text):
        if text[pos : m.start()].strip():
            break
        seconds += int(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text or pos == 0 or text[pos:].strip():
        raise ConfigError(f'{key}: invalid duration {value!r} (use e.g. "90s", "15m", "14d")')
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- sections -----------------------------------------------------------------------------------


class _Reader:
    """Takes keys out of one table, checking types; `done()` rejects what is left."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        self.data = dict(data)
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def take(self, name: str, default: Any = None) -> Any:
        return self.data.pop(name, default)

    def _typed(self, name: str, types: tuple[type, ...], what: str, default: Any) -> Any:
        if name not in self.data:
            return default
        value = self.data.pop(name)
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(f"{self.key(name)}: expected {what}, got a boolean")
        if not isinstance(value, types):
            raise ConfigError(f"{self.key(name)}: expected {what}, got {type(value).__name__}")
        return value

    def opt_str(self, name: str, default: str | None = None) -> str | None:
        value = self._typed(name, (str,), "a string", default)
        if value is not None and not value.strip():
            raise ConfigError(f"{self.key(name)}: must not be empty")
        return value

    def req_str(self, name: str) -> str:
        value = self.opt_str(name)
        if value is None:
            raise ConfigError(f"{self.key(name)}: required key is missing")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self._typed(name, (str,), "a string", default)
        if value not in choices:
            raise ConfigError(f"{self.key(name)}: must be one of {', '.join(choices)}")
        return value

    def integer(self, name: str, default: int, lo: int, hi: int | None = None) -> int:
        value = self._typed(name, (int,), "an integer", default)
        if value < lo or (hi is not None and value > hi):
            rng = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise ConfigError(f"{self.key(name)}: must be {rng}, got {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        return self._typed(name, (bool,), "true or false", default)

    def duration(self, name: str, default: timedelta, minimum: timedelta) -> timedelta:
        if name not in self.data:
            return default
        value = parse_duration(self.data.pop(name), self.key(name))
        if value < minimum:
            raise ConfigError(f"{self.key(name)}: must be at least {format_duration(minimum)}")
        return value

    def str_list(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._typed(name, (list,), "a list of strings", None)
        if value is None:
            return default
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise ConfigError(f"{self.key(name)}[{i}]: expected a non-empty string")
        return tuple(value)

    def table(self, name: str) -> dict[str, Any]:
        value = self._typed(name, (dict,), "a table", {})
        return value

    def done(self) -> None:
        for name in self.data:
            hint = ""
            if name == "password":
                hint = " (passwords are not kept in the configuration: use password_file, password_env or password_credential)"
            raise ConfigError(f"{self.key(name)}: unknown key{hint}")


def _path(value: str, base: Path | None) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() or base is None else base / p


def _mailbox(data: Any, prefix: str, base: Path | None, default_name: str) -> MailboxConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix}: expected a table")
    r = _Reader(data, prefix)
    name = r.opt_str("name", default_name) or default_name
    host = r.req_str("host")
    security = r.choice("security", SECURITIES, "tls")
    port = r.integer("port", 993 if security == "tls" else 143, 1, 65535)
    username = r.req_str("username")
    auth = r.choice("auth", AUTH_METHODS, "password")
    pw_file, pw_env, pw_cred = (
        r.opt_str("password_file"),
        r.opt_str("password_env"),
        r.opt_str("password_credential"),
    )
    token = r.opt_str("oauth2_token_file")
    ca_file = r.opt_str("ca_file")
    mb = MailboxConfig(
        name=name,
        host=host,
        username=username,
        port=port,
        security=security,
        auth=auth,
        password_file=_path(pw_file, base) if pw_file else None,
        password_env=pw_env,
        password_credential=pw_cred,
        oauth2_token_file=_path(token, base) if token else None,
        ca_file=_path(ca_file, base) if ca_file else None,
        folder=r.opt_str("folder", "INBOX") or "INBOX",
        processed_folder=r.opt_str("processed_folder", "Processed") or "Processed",
        quarantine_folder=r.opt_str("quarantine_folder", "Unrecognized") or "Unrecognized",
        after=r.choice("after", AFTER_ACTIONS, "move"),
    )
    r.done()
    sources = [k for k, v in (("password_file", pw_file), ("password_env", pw_env),
                              ("password_credential", pw_cred)) if v]  # fmt: skip
    if auth == "password" and len(sources) != 1:
        raise ConfigError(
            f"{prefix}: set exactly one of password_file, password_env, password_credential"
            + (f" (found {', '.join(sources)})" if sources else "")
        )
    if auth == "xoauth2" and token is None:
        raise ConfigError(f'{prefix}.oauth2_token_file: required when auth = "xoauth2"')
    if security == "plain" and not is_loopback(host):
        raise ConfigError(
            f'{prefix}.security: "plain" sends the password unencrypted and is only allowed '
            f"for a loopback host (localhost, 127.0.0.1, ::1), not {host!r}"
        )
    if mb.after == "move" and mb.processed_folder == mb.folder:
        raise ConfigError(f"{prefix}.processed_folder: must differ from folder")
    if mb.quarantine_folder == mb.folder:
        raise ConfigError(f"{prefix}.quarantine_folder: must differ from folder")
    return mb


def _schedule(data: dict[str, Any] | None) -> ScheduleConfig:
    r = _Reader(data or {}, "schedule")
    d = ScheduleConfig()
    cfg = ScheduleConfig(
        poll_interval=r.duration("poll_interval", d.poll_interval, timedelta(seconds=1)),
        idle=r.boolean("idle", d.idle),
        batch_size=r.integer("batch_size", d.batch_size, 1, 100_000),
        max_message_bytes=r.integer("max_message_bytes", d.max_message_bytes, 1024),
    )
    r.done()
    return cfg


def _policy(data: dict[str, Any] | None) -> PolicyConfig:
    r = _Reader(data or {}, "policy")
    d = PolicyConfig()
    day = timedelta(days=1)
    cfg = PolicyConfig(
        hard_confirmations=r.integer("hard_confirmations", d.hard_confirmations, 1, 2),
        soft_threshold=r.integer("soft_threshold", d.soft_threshold, 1, 1000),
        soft_window=r.duration("soft_window", d.soft_window, day),
        suspend_for=r.duration("suspend_for", d.suspend_for, timedelta(hours=1)),
        soft_to_hard_after=r.duration("soft_to_hard_after", d.soft_to_hard_after, day),
        max_suspensions=r.integer("max_suspensions", d.max_suspensions, 1, 1000),
        count_blocks=r.boolean("count_blocks", d.count_blocks),
        complaints_suppress=r.boolean("complaints_suppress", d.complaints_suppress),
        delivered_resets=r.boolean("delivered_resets", d.delivered_resets),
        own_domains=tuple(x.strip().lower() for x in r.str_list("own_domains", ())),
        own_addresses=tuple(x.strip() for x in r.str_list("own_addresses", ())),
        fold_local_part=r.boolean("fold_local_part", d.fold_local_part),
    )
    r.done()
    for i, a in enumerate(cfg.own_addresses):
        if "@" not in a:
            raise ConfigError(f"policy.own_addresses[{i}]: {a!r} is not an address")
    return cfg


def _parse(data: dict[str, Any] | None) -> ParseConfig:
    r = _Reader(data or {}, "parse")
    d = ParseConfig()
    headers = r.str_list("list_source_headers", d.list_source_headers)
    verp: str | None = d.verp
    if "verp" in r.data:
        verp = r._typed("verp", (str,), "a regular expression string", None) or None
    r.done()
    if verp is not None:
        try:
            pattern = re.compile(verp, re.I)
        except re.error as e:
            raise ConfigError(f"parse.verp: invalid regular expression: {e}") from None
        if not {"local", "domain"} <= set(pattern.groupindex):
            raise ConfigError("parse.verp: needs the named groups (?P<local>…) and (?P<domain>…)")
    return ParseConfig(list_source_headers=headers, verp=verp)


def _log(data: dict[str, Any] | None) -> LogConfig:
    r = _Reader(data or {}, "log")
    level = r.choice("level", LOG_LEVELS, "info")
    r.done()
    return LogConfig(level=level)


def _read_secret_file(path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{what}: cannot read {path}: {e.strerror or e}") from None
    if not value:
        raise ConfigError(f"{what}: {path} is empty")
    return value


# --- printing (check-config) --------------------------------------------------------------------


def settings_to_dict(s: Settings) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        if isinstance(v, timedelta):
            return format_duration(v)
        if isinstance(v, Path):
            return str(v)
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        return v

    def section(obj: Any) -> dict[str, Any]:
        return {
            k: conv(getattr(obj, k))
            for k in obj.__dataclass_fields__
            if getattr(obj, k) is not None
        }

    out: dict[str, Any] = {"database": str(s.database)}
    out["mailbox"] = [section(m) for m in s.mailboxes]
    out["schedule"] = section(s.schedule)
    out["policy"] = section(s.policy)
    out["parse"] = section(s.parse)
    out["log"] = section(s.log)
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def to_toml(data: dict[str, Any]) -> str:
    """Render `settings_to_dict` output as TOML (the subset it uses)."""
    lines = [f"database = {_toml_value(data['database'])}"]
    for mb in data["mailbox"]:
        lines += ["", "[[mailbox]]"] + [f"{k} = {_toml_value(v)}" for k, v in mb.items()]
    for name in ("schedule", "policy", "parse", "log"):
        lines += ["", f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in data[name].items()]
    return "\n".join(lines) + "\n"
