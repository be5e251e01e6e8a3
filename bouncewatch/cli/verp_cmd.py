"""`bouncewatch verp sign|verify`: signed VERP return paths (docs/trust.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from bouncewatch.cli.common import cli_errors, config_option, load_settings
from bouncewatch.config import read_verp_secrets
from bouncewatch.store.timefmt import iso, parse_time, utcnow
from bouncewatch.trust.signing import SigningError, sign, verify


def _at(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return utcnow()
    t = parse_time(value)
    if t is None:
        raise click.BadParameter("a time such as 2026-12-04 or 2026-12-04T10:00:00Z")
    return t


at_option = click.option(
    "--at",
    callback=_at,
    help="The time to sign for / verify at (default: now), e.g. 2026-12-04T10:00:00Z.",
)


@click.group(name="verp")
def verp() -> None:
    """Signed VERP return paths: bounces sent back to one are authenticated."""


@verp.command(name="sign")
@click.argument("addresses", nargs=-1, required=True)
@config_option
@at_option
@click.option("--domain", help="Domain after the '@' (default: [trust] verp_domain).")
def sign_cmd(
    addresses: tuple[str, ...], config_path: Path | None, at: datetime, domain: str | None
) -> None:
    """Print the return path to send mail for each ADDRESS with, one a line."""
    settings = load_settings(config_path)
    trust = settings.trust
    with cli_errors():
        secrets = read_verp_secrets(trust)
    if not secrets:
        raise click.ClickException(
            "no VERP secret configured: set [trust] verp_secret_file (or verp_secret_credential)"
        )
    host = domain or trust.verp_domain
    if not host:
        raise click.ClickException("no domain: set [trust] verp_domain or give --domain")
    for address in addresses:
        try:
            click.echo(sign(address, secrets, at, prefix=trust.verp_prefix, domain=host.lower()))
        except SigningError as e:
            raise click.ClickException(str(e)) from None


@verp.command(name="verify")
@click.argument("return_path")
@config_option
@at_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def verify_cmd(return_path: str, config_path: Path | None, at: datetime, as_json: bool) -> None:
    """Check a signed return path; print the address it names.  Exit status 1 if it does
    not verify (wrong tag, too old, not the signed shape)."""
    settings = load_settings(config_path)
    with cli_errors():
        secrets = read_verp_secrets(settings.trust)
    if not secrets:
        raise click.ClickException("no VERP secret configured: set [trust] verp_secret_file")
    found = verify(return_path, secrets, at, settings.trust.verp_max_age)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "return_path": return_path,
                    "valid": bool(found and found.valid),
                    "address": found.address if found else None,
                    "signed_day": found.day if found else None,
                    "problem": (found.problem if found else "not_signed_shape"),
                    "at": iso(at),
                }
            )
        )
    elif found is None:
        click.echo(f"{return_path}: not a signed return path", err=True)
    elif found.valid:
        click.echo(found.address)
    else:
        click.echo(f"{return_path}: does not verify ({found.problem})", err=True)
    if found is None or not found.valid:
        raise SystemExit(1)


__all__ = ["verp"]
