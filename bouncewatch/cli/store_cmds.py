"""PLACEHOLDER: replaced by the work that owns these verbs."""

import click


@click.command(name="check-config")
def check_config() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")


@click.command(name="export")
def export() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")


@click.command(name="ingest")
def ingest() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")


@click.command(name="reset")
def reset() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")


@click.command(name="status")
def status() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")
