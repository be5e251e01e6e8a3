"""`bouncewatch parse`: parse messages (files, folders, Maildirs, mboxes, stdin) and print what
each one says, without a database."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bouncewatch.analyze import analyze
from bouncewatch.cli.common import cli_errors, config_option, load_settings
from bouncewatch.config.locate import locate_config
from bouncewatch.errors import SourceError
from bouncewatch.model import DEFAULT_PARSE_OPTIONS, ParseOptions, ParseResult
from bouncewatch.sources.files import path_messages

if TYPE_CHECKING:
    from bouncewatch.config import TrustConfig

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


def _line_encoder() -> Callable[[dict[str, Any]], str]:
    """`json.dumps(line, ensure_ascii=False)` for the output's lines.  `JSONEncoder.encode`
    builds the C encoder anew for every call; this one is built once, with the encoder's
    own separators and options (and no check for circular references: a line is a tree of
    new dicts and lists).  Without the C accelerator (or with one this does not know how to
    build), `JSONEncoder.encode` itself."""
    encoder = json.JSONEncoder(ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)  # (None without the accelerator)
    try:
        encode_c = make(  # type: ignore[misc]
            None,
            encoder.default,
            json.encoder.encode_basestring,
            encoder.indent,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
    except TypeError:  # (None is not callable; an accelerator that takes other arguments)
        return encoder.encode

    def encode(line: dict[str, Any]) -> str:
        return "".join(encode_c(line, 0))

    return encode


_encode_line = _line_encoder()

#: seconds between two flushes of `--json` output while files are read (a consumer reading
#: a pipe sees the lines as they come, in a few large writes rather than one per line)
FLUSH_INTERVAL = 0.1


@click.command(name="parse")
@click.argument("files", nargs=-1, required=True, metavar="PATH…|-")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message, one per line.")
@click.option(
    "--list-source-header",
    "list_source_headers",
    multiple=True,
    metavar="NAME",
    help="Header naming the list/campaign (repeatable; default: the configuration's, else "
    "X-Campaign, List-Id).",
)
@click.option(
    "--verp",
    callback=_verp_pattern,
    metavar="REGEX",
    help="VERP pattern with (?P<local>…) and (?P<domain>…) groups (default: the configuration's).",
)
@config_option
def parse(
    files: tuple[str, ...],
    as_json: bool,
    list_source_headers: tuple[str, ...],
    verp: re.Pattern[str] | None,
    config_path: Path | None,
) -> None:
    """Parse bounce messages and print each recipient's status and classification.

    PATH is what `ingest` reads: a message file, a folder (its .eml and .mbox files), a
    Maildir, an mbox, or `-` for standard input.  With --config the configuration's VERP
    pattern and list-source headers apply, so the output is what `ingest` would record.  Every
    message gets its output, in input order, and every path that cannot be read an `error`
    line; the exit status is 1 if any input failed.  No database is opened.  With a [trust]
    VERP secret, each recipient says whether the bounce came back to its signed return path
    ("authenticated").
    """
    base, trust, secrets = _configured(config_path)
    options = _options(base, list_source_headers, verp)
    failed = False
    width = max(len(f) for f in files)
    if not as_json:
        click.echo(_row(("file", *_COLUMNS), width))
    out = sys.stdout
    flushed = time.monotonic()
    waits = False  # whether the path being read is a stream (stdin, a named pipe, a device)

    def waiting() -> None:
        """The source is about to wait for input: the lines so far go out first, and each
        of the stream's after it (the next may be long in coming)."""
        nonlocal waits
        waits = True
        out.flush()

    for name in files:
        waits = False
        for line in _parse_path(name, options, trust, secrets, waiting if as_json else None):
            failed = failed or "error" in line
            if as_json:
                # (JSON escapes every control character: nothing for click.echo to strip)
                out.write(_encode_line(line) + "\n")
                now = time.monotonic()
                if waits or now - flushed >= FLUSH_INTERVAL:
                    out.flush()
                    flushed = now
            else:
                for row in _table_rows(line):
                    click.echo(_row(row, width))
    out.flush()
    if failed:
        sys.exit(1)


def _configured(
    config_path: Path | None,
) -> tuple[ParseOptions, TrustConfig | None, tuple[bytes, ...]]:
    """The parse options, the trust settings and the VERP secrets the configuration gives.
    With no configuration file they are the built-in defaults, and the settings' code is
    not loaded for them (the tests hold the defaults equal to those of `Settings()`)."""
    path = locate_config(config_path)
    if path is None:
        return DEFAULT_PARSE_OPTIONS, None, ()
    from bouncewatch.config import read_verp_secrets

    settings = load_settings(path)
    with cli_errors():
        return settings.parse_options, settings.trust, read_verp_secrets(settings.trust)


def _options(
    base: ParseOptions, headers: tuple[str, ...], verp: re.Pattern[str] | None
) -> ParseOptions:
    options = replace(base, said_commands=True)  # smtp_command wherever the report says it
    if headers:
        options = replace(options, list_source_headers=tuple(headers))
    if verp is not None:
        options = replace(options, verp=verp)
    return options


def _parse_path(
    name: str,
    options: ParseOptions,
    trust: TrustConfig | None,
    secrets: tuple[bytes, ...],
    before_wait: Callable[[], object] | None = None,
) -> Iterator[dict[str, Any]]:
    """One line per message at `name`, read as the source `ingest` reads files with
    (`FileSource`) reads each path, then one error line if the path cannot be read (or no
    further) or holds no message.

    "file" is the path as given for a message file or stdin, the message's own file inside a
    folder or Maildir; the messages of an mbox add "message", their number in it (from 1).
    With VERP secrets configured, each line says what its signed return path proves.
    `before_wait` is called before a stream (stdin, a named pipe) is read."""
    try:
        for raw in path_messages(name, before_wait=before_wait):
            result = analyze(raw.data, options)
            line = result.to_json(name if raw.source == "stdin" else raw.source)
            if secrets and trust is not None:
                _authentication(line, result, trust, secrets, options)
            if raw.mbox_index is not None:
                line = {"file": line.pop("file"), "message": raw.mbox_index, **line}
            yield line
    except SourceError as error:  # (the source's: analyze never raises one)
        yield {"file": name, "error": str(error), "recipients": []}


def _authentication(
    line: dict[str, Any],
    result: ParseResult,
    trust: TrustConfig,
    secrets: tuple[bytes, ...],
    options: ParseOptions,
) -> None:
    """Add what a signed return path says: `signed_return_path` (the address it names and
    whether it verified now) and, per recipient, `authenticated`."""
    # (loaded here: only a configuration with VERP secrets needs them, and hmac)
    from bouncewatch.smtp.address import normalise
    from bouncewatch.store.timefmt import utcnow
    from bouncewatch.trust.envelope import addresses_in
    from bouncewatch.trust.signing import first_signed

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
    file, kind = line["file"], line.get("kind", "-")
    if "message" in line:
        file = f"{file}#{line['message']}"
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
