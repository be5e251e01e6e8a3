"""`bouncewatch parse`: parse message files (or stdin) and print what each one says."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from typing import Any

import click

from bouncewatch.analyze import analyze
from bouncewatch.model import DEFAULT_PARSE_OPTIONS, ParseOptions

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
def parse(
    files: tuple[str, ...],
    as_json: bool,
    list_source_headers: tuple[str, ...],
    verp: re.Pattern[str] | None,
) -> None:
    """Parse bounce messages and print each recipient's status and classification.

    FILE may be `-` for standard input.  Every input gets its output, in input order, even
    when it cannot be read; the exit status is 1 if any input failed.
    """
    options = _options(list_source_headers, verp)
    failed = False
    width = max(len(f) for f in files)
    if not as_json:
        click.echo(_row(("file", *_COLUMNS), width))
    for name in files:
        line = _parse_one(name, options)
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


def _parse_one(name: str, options: ParseOptions) -> dict[str, Any]:
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
    return analyze(data, options).to_json(name)


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
