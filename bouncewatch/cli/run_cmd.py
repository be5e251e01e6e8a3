"""`bouncewatch run [--once]`: the daemon (what the systemd unit starts), or one pass."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bouncewatch.cli.common import config_option, db_option
from bouncewatch.config import locate_config
from bouncewatch.logging_setup import FORMAT_ENV, LOG_FORMATS, setup_logging


@click.command(name="run")
@click.option(
    "--once",
    is_flag=True,
    help="One full pass over every mailbox, then exit (for cron and tests).",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    envvar=FORMAT_ENV,
    help="text: `ts=… level=… event=… key=value` lines (default); json: one object a line, "
    f"for log shippers. [env: {FORMAT_ENV}]",
)
@config_option
@db_option
def run(once: bool, log_format: str | None, config_path: Path | None, db_path: Path | None) -> None:
    """Watch the configured IMAP mailboxes (IDLE + polling) and record every bounce.

    \b
    Exit status:
      0  clean stop, or --once finished
      75 try later: mailbox unreachable, database locked or failed while recording
      77 the IMAP server refused the credentials (not restarted)
      78 configuration error, untrusted TLS certificate, damaged database (not restarted)
    SIGTERM finishes the message in hand and exits; SIGHUP reloads the configuration.
    """
    from bouncewatch.daemon import Daemon, run_once

    setup_logging("INFO", fmt=log_format)
    path = locate_config(config_path)
    code = run_once(path, database=db_path) if once else Daemon(path, database=db_path).run()
    sys.exit(code)
