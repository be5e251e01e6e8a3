"""The `bouncewatch` command: a thin click layer over the library.

Each verb lives in its own module and is registered here, in the order `--help` lists them.
"""

from __future__ import annotations

import click

from bouncewatch import __version__
from bouncewatch.cli.parse_cmd import parse
from bouncewatch.cli.report_cmd import report, sent
from bouncewatch.cli.run_cmd import run
from bouncewatch.cli.store_cmds import check_config, export, ingest, reset, status
from bouncewatch.cli.verp_cmd import verp


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bouncewatch")
def main() -> None:
    """Watch a bounce mailbox; tell senders which addresses to stop mailing and why."""


for _command in (run, parse, ingest, status, report, sent, export, reset, check_config, verp):
    main.add_command(_command)
