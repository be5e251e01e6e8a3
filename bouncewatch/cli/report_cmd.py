"""PLACEHOLDER: replaced by the work that owns these verbs."""

import click


@click.command(name="report")
def report() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")


@click.command(name="sent")
def sent() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
