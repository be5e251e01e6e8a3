"""The settings: frozen dataclasses built once from the TOML file and passed explicitly."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bouncewatch.config.locate import DEFAULT_CONFIG_PATH
from bouncewatch.model import DEFAULT_VERP, ParseOptions
from bouncewatch.store.policy import PolicyConfig
from bouncewatch.trust.settings import TrustConfig

DEFAULT_DATABASE_NAME = "bouncewatch.db"

SECURITIES = ("tls", "starttls", "plain")
AFTER_ACTIONS = ("move", "flag", "delete")
AUTH_METHODS = ("password", "xoauth2")
LOG_LEVELS = ("debug", "info", "warning", "error")


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
    untrusted_folder: str = "Untrusted"  #: bounces that failed [trust] (see docs/trust.md)
    after: str = "move"  #: move | flag | delete


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    poll_interval: timedelta = timedelta(seconds=60)
    idle: bool = True
    batch_size: int = 500
    max_message_bytes: int = 10 * 1024 * 1024


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
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    parse: ParseConfig = ParseConfig()
    trust: TrustConfig = field(default_factory=TrustConfig)
    log: LogConfig = LogConfig()
    #: group given to the database and its -wal/-shm files (mode 0640); None: the process's
    database_group: str | None = None
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
        from bouncewatch.config.render import settings_to_dict

        return settings_to_dict(self)


def default_database() -> Path:
    """`bouncewatch.db` in systemd's $STATE_DIRECTORY when set, else in the current directory."""
    state_dir = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(state_dir or ".") / DEFAULT_DATABASE_NAME


__all__ = [
    "AFTER_ACTIONS",
    "AUTH_METHODS",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATABASE_NAME",
    "LOG_LEVELS",
    "SECURITIES",
    "LogConfig",
    "MailboxConfig",
    "ParseConfig",
    "PolicyConfig",
    "ScheduleConfig",
    "Settings",
    "TrustConfig",
    "default_database",
]
