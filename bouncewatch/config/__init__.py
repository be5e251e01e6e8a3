"""The configuration: one TOML file → a frozen Settings object, validated once.

`locate` says which file a command reads, `settings` holds the dataclasses, `load` reads and
validates a file (every problem reported together, each naming its key), `secrets` reads a
mailbox's password when it is needed (never held in Settings), `render` prints the effective
settings for `check-config`.  The policy's own settings (`PolicyConfig`) live beside the
policy in `bouncewatch.store.policy`.  The names below load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bouncewatch.config.load import (
        check_for_run,
        load_config,
        parse_duration,
        run_problems,
        settings_from_dict,
    )
    from bouncewatch.config.locate import DEFAULT_CONFIG_PATH, locate_config
    from bouncewatch.config.render import settings_to_dict, to_toml
    from bouncewatch.config.secrets import check_secret, read_verp_secrets, resolve_password
    from bouncewatch.config.settings import (
        AFTER_ACTIONS,
        AUTH_METHODS,
        DEFAULT_DATABASE_NAME,
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
    from bouncewatch.durations import format_duration
    from bouncewatch.errors import ConfigError
    from bouncewatch.hosts import is_loopback

#: name -> the module that defines it, imported on first use: a command that finds no
#: configuration file (`locate`) runs on the built-in defaults without loading the rest
_EXPORTS = {
    "AFTER_ACTIONS": "bouncewatch.config.settings",
    "AUTH_METHODS": "bouncewatch.config.settings",
    "check_for_run": "bouncewatch.config.load",
    "check_secret": "bouncewatch.config.secrets",
    "ConfigError": "bouncewatch.errors",
    "DEFAULT_CONFIG_PATH": "bouncewatch.config.locate",
    "default_database": "bouncewatch.config.settings",
    "DEFAULT_DATABASE_NAME": "bouncewatch.config.settings",
    "format_duration": "bouncewatch.durations",
    "is_loopback": "bouncewatch.hosts",
    "load_config": "bouncewatch.config.load",
    "locate_config": "bouncewatch.config.locate",
    "LOG_LEVELS": "bouncewatch.config.settings",
    "LogConfig": "bouncewatch.config.settings",
    "MailboxConfig": "bouncewatch.config.settings",
    "parse_duration": "bouncewatch.config.load",
    "ParseConfig": "bouncewatch.config.settings",
    "PolicyConfig": "bouncewatch.config.settings",
    "read_verp_secrets": "bouncewatch.config.secrets",
    "resolve_password": "bouncewatch.config.secrets",
    "run_problems": "bouncewatch.config.load",
    "ScheduleConfig": "bouncewatch.config.settings",
    "SECURITIES": "bouncewatch.config.settings",
    "Settings": "bouncewatch.config.settings",
    "settings_from_dict": "bouncewatch.config.load",
    "settings_to_dict": "bouncewatch.config.render",
    "to_toml": "bouncewatch.config.render",
    "TrustConfig": "bouncewatch.config.settings",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AFTER_ACTIONS",
    "AUTH_METHODS",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATABASE_NAME",
    "LOG_LEVELS",
    "SECURITIES",
    "ConfigError",
    "LogConfig",
    "MailboxConfig",
    "ParseConfig",
    "PolicyConfig",
    "ScheduleConfig",
    "Settings",
    "TrustConfig",
    "check_for_run",
    "check_secret",
    "default_database",
    "format_duration",
    "is_loopback",
    "load_config",
    "locate_config",
    "parse_duration",
    "read_verp_secrets",
    "resolve_password",
    "run_problems",
    "settings_from_dict",
    "settings_to_dict",
    "to_toml",
]
