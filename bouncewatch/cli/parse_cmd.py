"""`bouncewatch parse`: parse message files (or stdin) and print what each one says."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from typing import Any

import click

from bouncewatch.analyze import analyze
from bouncewatch.config import TrustConfig, load_config, read_verp_secrets
from bouncewatch.errors import ConfigError
from bouncewatch.model import DEFAULT_PARSE_OPTIONS, ParseOptions, ParseResult
from bouncewatch.smtp.address import normalise
from bouncewatch.store.timefmt import utcnow
from bouncewatch.trust.envelope import addresses_in
from bouncewatch.trust.signing import first_signed

_COLUMNS = ("kind", "address", "status", "code", "type", "reason")
_WIDTHS = (10, 34, 8, 5, 12, 0)


def _verp_pattern(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        pattern = re.compile(value, re.I)
    except re.error as exc:
        raise click.BadParameter(f"not a regular expression: {exc}") from exc
    groups = set(pattern.groupindex)
    if "address" not in groups and not {"local", "domain"} <= groups:
        raise click.BadParameter(
            "needs named groups (?P<local>…) and (?P<domain>…), or (?P<address>…)"
        )
    return pattern


@click.command(name="parse")
@click.argument("files", nargs=-1, required=True, metavar="FILE…|-")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input, one per line.")
@click.option(
    "--list-source-header",
    "list_source_headers",
    multiple=True,
    metavar="NAME",
    help="Header naming the list/campaign (repeatable; default: X-Campaign, List-Id).",
)
@click.option(
    "--verp",
    callback=_verp_pattern,
    metavar="REGEX",
    help="VERP pattern with (?P<local>…) and (?P<domain>…) groups.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Configuration file: with a [trust] VERP secret, each recipient says whether the "
    'bounce came back to its signed return path ("authenticated").',
)
def parse(
    files: tuple[str, ...],
    as_json: bool,
    list_source_headers: tuple[str, ...],
    verp: re.Pattern[str] | None,
    config_path: str | None,
) -> None:
    """Parse bounce messages and print each recipient's status and classification.

    FILE may be `-` for standard input.  Every input gets its output, in input order, even
    when it cannot be read; the exit status is 1 if any input failed.
    """
    options = _options(list_source_headers, verp)
    trust: TrustConfig = TrustConfig()
    secrets: tuple[bytes, ...] = ()
    if config_path is not None:
        try:
            settings = load_config(config_path)
            trust, secrets = settings.trust, read_verp_secrets(settings.trust)
        except ConfigError as e:
            raise click.ClickException(str(e)) from None
        if verp is None:
            options = replace(options, verp=settings.parse_options.verp)
    failed = False
    width = max(len(f) for f in files)
    if not as_json:
        click.echo(_row(("file", *_COLUMNS), width))
    for name in files:
        line = _parse_one(name, options, trust, secrets)
        failed = failed or "error" in line
        if as_json:
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            for row in _table_rows(line):
                click.echo(_row(row, width))
    if failed:
        sys.exit(1)


def _options(headers: tuple[str, ...], verp: re.Pattern[str] | None) -> ParseOptions:
    options = DEFAULT_PARSE_OPTIONS
    if headers:
        options = replace(options, list_source_headers=tuple(headers))
    if verp is not None:
        options = replace(options, verp=verp)
    return options


def _parse_one(
    name: str, options: ParseOptions, trust: TrustConfig, secrets: tuple[bytes, ...]
) -> dict[str, Any]:
    try:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        return {
            "file": name,
            "kind": "not_bounce",
            "detector": "none",
            "recipients": [],
            "error": f"{type(exc).__name__}: {exc.strerror or exc}",
        }
    result = analyze(data, options)
    line = result.to_json(name)
    if secrets:
        _authentication(line, result, trust, secrets, options)
    return line


def _authentication(
    line: dict[str, Any],
    result: ParseResult,
    trust: TrustConfig,
    secrets: tuple[bytes, ...],
    options: ParseOptions,
) -> None:
    """Add what a signed return path says: `signed_return_path` (the address it names and
    whether it verified now) and, per recipient, `authenticated`."""
    found = first_signed(addresses_in(result.envelope_to), secrets, utcnow(), trust.verp_max_age)
    signed = normalise(found.address)[0] if found is not None and found.valid else None
    line["signed_return_path"] = (
        None
        if found is None
        else {"address": found.address, "valid": found.valid, "problem": found.problem}
    )
    for rec in line["recipients"]:
        names = {normalise(rec["address"], verp=options.verp)[0]}
        if rec.get("original_recipient"):
            names.add(normalise(rec["original_recipient"], verp=options.verp)[0])
        rec["authenticated"] = signed is not None and signed in names


def _table_rows(line: dict[str, Any]) -> list[tuple[str, ...]]:
    file, kind = line["file"], line["kind"]
    if "error" in line and not line["recipients"]:
        return [(file, kind, "-", "-", "-", "-", f"error: {line['error']}")]
    if not line["recipients"]:
        return [(file, kind, "-", "-", "-", "-", "-")]
    return [
        (
            file,
            kind,
            r["address"],
            r["status"] or "-",
            str(r["smtp_code"] or "-"),
            r["bounce_type"],
            r["reason"],
        )
        for r in line["recipients"]
    ]


def _row(cells: tuple[str, ...], file_width: int) -> str:
    out = [cells[0].ljust(file_width)]
    for cell, width in zip(cells[1:], _WIDTHS, strict=True):
        out.append(cell.ljust(width) if width else cell)
    return "  ".join(out).rstrip()
