"""The `bouncewatch` command: a thin click layer over the library.

Each verb lives in its own module and is registered here (`--help` lists them in
alphabetical order).  A verb's module is imported only when that verb runs (or `--help` lists them all): `parse`
need not load the store, the reports or the daemon.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from bouncewatch import BUILD, __version__

#: verb -> "module:attribute"
COMMANDS: dict[str, str] = {
    "run": "bouncewatch.cli.run_cmd:run",
    "parse": "bouncewatch.cli.parse_cmd:parse",
    "ingest": "bouncewatch.cli.store_cmds:ingest",
    "status": "bouncewatch.cli.store_cmds:status",
    "report": "bouncewatch.cli.report_cmd:report",
    "sent": "bouncewatch.cli.report_cmd:sent",
    "export": "bouncewatch.cli.store_cmds:export",
    "reset": "bouncewatch.cli.store_cmds:reset",
    "check-config": "bouncewatch.cli.store_cmds:check_config",
    "verp": "bouncewatch.cli.verp_cmd:verp",
}


class _LazyCommands(dict[str, Any]):
    """The group's `commands`: every verb's name is there from the start; its command is
    imported the first time it is looked up."""

    def __getitem__(self, name: str) -> click.Command:
        value = super().__getitem__(name)
        if isinstance(value, str):
            module, _, attribute = value.partition(":")
            value = getattr(importlib.import_module(module), attribute)
            super().__setitem__(name, value)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self:
            return default
        return self[name]

    def values(self) -> Any:
        for name in self:
            self[name]
        return super().values()

    def items(self) -> Any:
        for name in self:
            self[name]
        return super().items()


class LazyGroup(click.Group):
    """A click group whose verbs' modules load on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(lazy)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(
    __version__, prog_name="bouncewatch", message=f"%(prog)s, version %(version)s ({BUILD})"
)
def main() -> None:
    """Watch a bounce mailbox; tell senders which addresses to stop mailing and why."""
