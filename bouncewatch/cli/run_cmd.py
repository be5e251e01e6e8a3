"""`bouncewatch run [--once]`: the daemon (what the systemd unit starts), or one pass."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bouncewatch.cli.common import config_option, db_option
from bouncewatch.config import locate_config
from bouncewatch.logging_setup import setup_logging


@click.command(name="run")
@click.option(
    "--once",
    is_flag=True,
    help="One full pass over every mailbox, then exit (for cron and tests).",
)
@config_option
@db_option
def run(once: bool, config_path: Path | None, db_path: Path | None) -> None:
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

    setup_logging("INFO")
    path = locate_config(config_path)
    code = run_once(path, database=db_path) if once else Daemon(path, database=db_path).run()
    sys.exit(code)
