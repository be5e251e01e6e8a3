"""The configuration: one TOML file → a frozen Settings object, validated once.

`settings` holds the dataclasses, `load` reads and validates a file (every problem reported
together, each naming its key), `secrets` reads a mailbox's password when it is needed (never
held in Settings), `render` prints the effective settings for `check-config`.  The policy's
own settings (`PolicyConfig`) live beside the policy in `bouncewatch.store.policy`.
"""

from bouncewatch.config.load import (
    check_for_run,
    load_config,
    locate_config,
    parse_duration,
    run_problems,
    settings_from_dict,
)
from bouncewatch.config.render import settings_to_dict, to_toml
from bouncewatch.config.secrets import check_secret, read_verp_secrets, resolve_password
from bouncewatch.config.settings import (
    AFTER_ACTIONS,
    AUTH_METHODS,
    DEFAULT_CONFIG_PATH,
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
