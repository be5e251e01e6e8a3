"""PLACEHOLDER: replaced by the work that owns these verbs."""

import click


@click.command(name="run")
def run() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
