"""What every command shares: --config, --db (and their environment variables), loading the
settings, opening the store, and turning bouncewatch's errors into clean CLI messages."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bouncewatch import config
from bouncewatch.errors import BouncewatchError

if TYPE_CHECKING:
    from bouncewatch.config import Settings
    from bouncewatch.store import Store

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BOUNCEWATCH_CONFIG",
    help="Configuration file (default: /etc/bouncewatch/config.toml if it exists). "
    "[env: BOUNCEWATCH_CONFIG]",
)

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BOUNCEWATCH_DB",
    help="SQLite file, overriding the configured `database`. [env: BOUNCEWATCH_DB]",
)


def store_options(f: F) -> F:
    """--config and --db, in that order."""
    return config_option(db_option(f))


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """BouncewatchError and SQLite errors → a one-line message and exit status 1."""
    try:
        yield
    except BouncewatchError as e:
        raise click.ClickException(str(e)) from None
    except Exception as e:
        # (sqlite3 is not imported for this: a command that opens no database never loads
        # it, and then no error can be one of its)
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is not None and isinstance(e, sqlite3.DatabaseError):
            raise click.ClickException(f"database error: {e}") from None
        raise


def load_settings(config_path: Path | None, db_path: Path | None = None) -> Settings:
    """The effective settings: the config file (if any), then --db / $BOUNCEWATCH_DB."""
    with cli_errors():
        settings = config.load_config(config.locate_config(config_path))
    if db_path is not None:
        settings = settings.with_database(db_path)
    return settings


def open_store(settings: Settings, *, must_exist: bool = False, records: bool = False) -> Store:
    """Open the settings' database (`service.open_store`); `must_exist` for commands that
    only read; `records` for commands that record bounces (they need the VERP secrets;
    readers of the database don't, and may not be allowed to read them)."""
    from bouncewatch.service import open_store as _open

    with cli_errors():
        return _open(settings, must_exist=must_exist, records=records)


def setup_cli_logging(level: str = "warning") -> None:
    """Key=value log lines on stderr (the daemon's format), quiet by default for commands."""
    try:
        from bouncewatch.logging_setup import setup_logging

        setup_logging(level.upper())
    except ImportError:  # pragma: no cover - logging_setup ships with the package
        logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s %(message)s")
