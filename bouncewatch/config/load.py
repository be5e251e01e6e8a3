"""One TOML file → Settings, validated once: every problem is collected and reported together.

Every key has a default, so an empty file (or no file at all) gives a working configuration for
the file-based commands.  Each problem names its key path (``mailbox[0].pasword: unknown key
(did you mean password_file?)``).  `run_problems` adds what the daemon needs on top (a mailbox
to watch, a database folder that exists); `check-config` and `run` both call it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bouncewatch.config.locate import locate_config
from bouncewatch.config.reader import Reader, parse_duration
from bouncewatch.config.settings import (
    AFTER_ACTIONS,
    AUTH_METHODS,
    LOG_LEVELS,
    SECURITIES,
    LogConfig,
    MailboxConfig,
    ParseConfig,
    PolicyConfig,
    ScheduleConfig,
    Settings,
    TrustConfig,
    default_database,
)
from bouncewatch.errors import ConfigError
from bouncewatch.hosts import is_loopback
from bouncewatch.trust.settings import TRUST_REQUIRE

SECTIONS = ("database", "database_group", "mailbox", "schedule", "policy", "parse", "trust", "log")


def load_config(path: str | Path | None) -> Settings:
    """Read and validate a TOML file; None gives the built-in defaults."""
    if path is None:
        return Settings()
    import tomllib  # (only a file needs it)

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
        raise _located(path, e.problems) from None


def run_problems(settings: Settings) -> list[str]:
    """What `run` needs beyond a valid file: a mailbox to watch and a database folder."""
    problems = []
    if not settings.mailboxes:
        problems.append("mailbox: no [[mailbox]] configured; nothing to watch")
    folder = settings.database.parent
    if not folder.is_dir():
        problems.append(f"database: the folder {folder} does not exist")
    return problems


def check_for_run(settings: Settings) -> Settings:
    """`settings` when `run` can start with it, else one ConfigError naming every problem."""
    problems = run_problems(settings)
    if problems:
        raise _located(settings.path, problems)
    return settings


def settings_from_dict(data: Mapping[str, Any], base: Path | None = None) -> Settings:
    """Validate parsed TOML.  Relative paths are taken relative to `base` (the file's folder).
    Raises one ConfigError holding every problem found."""
    problems: list[str] = []
    r = Reader(data, "", problems)
    db = r.opt_str("database")
    group = r.opt_str("database_group")
    mailboxes_raw = r.take("mailbox", [])
    sections = {n: r.table(n) for n in ("schedule", "policy", "parse", "trust", "log") if n in data}
    r.done(SECTIONS)
    mailboxes: list[MailboxConfig] = []
    if not isinstance(mailboxes_raw, list):
        problems.append("mailbox: must be an array of tables ([[mailbox]])")
        mailboxes_raw = []
    for i, m in enumerate(mailboxes_raw):
        mb = _mailbox(m, f"mailbox[{i}]", base, "bounces" if not i else f"mailbox{i + 1}", problems)
        if mb is not None:
            if mb.name in [x.name for x in mailboxes]:
                problems.append(f"mailbox[{i}].name: duplicate mailbox name {mb.name!r}")
            mailboxes.append(mb)
    settings = Settings(
        database=_path(db, base) if db else default_database(),
        mailboxes=tuple(mailboxes),
        schedule=_schedule(sections.get("schedule"), problems),
        policy=_policy(sections.get("policy"), problems),
        parse=_parse(sections.get("parse"), problems),
        trust=_trust(sections.get("trust"), base, problems),
        log=_log(sections.get("log"), problems),
        database_group=group,
    )
    if problems:
        raise ConfigError("; ".join(problems), problems)
    return settings


def _located(path: Path | None, problems: list[str]) -> ConfigError:
    where = f"{path}: " if path else ""
    lines = [f"{where}{p}" for p in problems]
    return ConfigError("; ".join(lines), lines)


def _path(value: str, base: Path | None) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() or base is None else base / p


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(cls.__dataclass_fields__)  # type: ignore[attr-defined]


def _mailbox(
    data: Any, prefix: str, base: Path | None, default_name: str, problems: list[str]
) -> MailboxConfig | None:
    if not isinstance(data, dict):
        problems.append(f"{prefix}: expected a table")
        return None
    r = Reader(data, prefix, problems)
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
        untrusted_folder=r.opt_str("untrusted_folder", "Untrusted") or "Untrusted",
        after=r.choice("after", AFTER_ACTIONS, "move"),
    )
    r.done(_fields(MailboxConfig))
    sources = [k for k, v in (("password_file", pw_file), ("password_env", pw_env),
                              ("password_credential", pw_cred)) if v]  # fmt: skip
    if auth == "password" and len(sources) != 1:
        problems.append(
            f"{prefix}: set exactly one of password_file, password_env, password_credential"
            + (f" (found {', '.join(sources)})" if sources else "")
        )
    if auth == "xoauth2" and token is None:
        problems.append(f'{prefix}.oauth2_token_file: required when auth = "xoauth2"')
    if security == "plain" and host and not is_loopback(host):
        problems.append(
            f'{prefix}.security: "plain" sends the password unencrypted and is only allowed '
            f"for a loopback host (localhost, 127.0.0.1, ::1), not {host!r}"
        )
    if mb.after == "move" and mb.processed_folder == mb.folder:
        problems.append(f"{prefix}.processed_folder: must differ from folder")
    if mb.quarantine_folder == mb.folder:
        problems.append(f"{prefix}.quarantine_folder: must differ from folder")
    if mb.untrusted_folder == mb.folder:
        problems.append(f"{prefix}.untrusted_folder: must differ from folder")
    return mb


def _schedule(data: dict[str, Any] | None, problems: list[str]) -> ScheduleConfig:
    r = Reader(data or {}, "schedule", problems)
    d = ScheduleConfig()
    cfg = ScheduleConfig(
        poll_interval=r.duration("poll_interval", d.poll_interval, timedelta(seconds=1)),
        idle=r.boolean("idle", d.idle),
        batch_size=r.integer("batch_size", d.batch_size, 1, 100_000),
        max_message_bytes=r.integer("max_message_bytes", d.max_message_bytes, 1024),
    )
    r.done(_fields(ScheduleConfig))
    return cfg


def _policy(data: dict[str, Any] | None, problems: list[str]) -> PolicyConfig:
    r = Reader(data or {}, "policy", problems)
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
    r.done(_fields(PolicyConfig))
    for i, a in enumerate(cfg.own_addresses):
        if "@" not in a:
            problems.append(f"policy.own_addresses[{i}]: {a!r} is not an address")
    return cfg


def _parse(data: dict[str, Any] | None, problems: list[str]) -> ParseConfig:
    r = Reader(data or {}, "parse", problems)
    d = ParseConfig()
    headers = r.str_list("list_source_headers", d.list_source_headers)
    verp: str | None = d.verp
    if "verp" in r.data:
        verp = r._get(d.verp, r._typed, "verp", (str,), "a regular expression string", None)
        verp = verp or None
    r.done(_fields(ParseConfig))
    if verp is not None:
        try:
            pattern = re.compile(verp, re.I)
        except re.error as e:
            problems.append(f"parse.verp: invalid regular expression: {e}")
            return ParseConfig(list_source_headers=headers)
        if not {"local", "domain"} <= set(pattern.groupindex):
            problems.append("parse.verp: needs the named groups (?P<local>…) and (?P<domain>…)")
    return ParseConfig(list_source_headers=headers, verp=verp)


def _trust(data: dict[str, Any] | None, base: Path | None, problems: list[str]) -> TrustConfig:
    r = Reader(data or {}, "trust", problems)
    d = TrustConfig()
    secret_file = r.opt_str("verp_secret_file")
    domain = r.opt_str("verp_domain")
    cfg = TrustConfig(
        require=r.choice("require", TRUST_REQUIRE, d.require),
        verp_secret_file=_path(secret_file, base) if secret_file else None,
        verp_secret_credential=r.opt_str("verp_secret_credential"),
        verp_prefix=r.opt_str("verp_prefix", d.verp_prefix) or d.verp_prefix,
        verp_domain=domain.strip().lower() if domain else None,
        verp_max_age=r.duration("verp_max_age", d.verp_max_age, timedelta(days=1)),
        max_recipients_per_message=r.integer(
            "max_recipients_per_message", d.max_recipients_per_message, 1
        ),
        complaint_senders=tuple(
            x.strip().lower().lstrip("@") for x in r.str_list("complaint_senders", ())
        ),
    )
    r.done(_fields(TrustConfig))
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", cfg.verp_prefix):
        problems.append("trust.verp_prefix: letters, digits, '.', '_' and '-' only")
    if cfg.verp_secret_file is not None and cfg.verp_secret_credential is not None:
        problems.append("trust: set at most one of verp_secret_file and verp_secret_credential")
    if cfg.require == "signed" and not cfg.has_secret:
        problems.append('trust.require: "signed" needs verp_secret_file or verp_secret_credential')
    return cfg


def _log(data: dict[str, Any] | None, problems: list[str]) -> LogConfig:
    r = Reader(data or {}, "log", problems)
    level = r.choice("level", LOG_LEVELS, "info")
    r.done(_fields(LogConfig))
    return LogConfig(level=level)


__all__ = [
    "check_for_run",
    "load_config",
    "locate_config",
    "parse_duration",
    "run_problems",
    "settings_from_dict",
]
