"""`ingest`, `status`, `export`, `reset` and `check-config`: the commands over the store."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sqlite3
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import click

from bouncewatch.cli.common import (
    cli_errors,
    load_settings,
    open_store,
    setup_cli_logging,
    store_options,
)
from bouncewatch.cli.moments import MOMENT_HELP, moment_callback
from bouncewatch.cli.progress import Progress, stop_on_signals
from bouncewatch.config import (
    ConfigError,
    check_secret,
    load_config,
    locate_config,
    read_verp_secrets,
    run_problems,
    to_toml,
)
from bouncewatch.errors import StoreError
from bouncewatch.ingest import Summary
from bouncewatch.ingest import ingest as ingest_source
from bouncewatch.model import ADDRESS_STATES
from bouncewatch.reports.csv_cells import safe_dict
from bouncewatch.sources.files import STDIN, FileSource, total_size
from bouncewatch.store.queries import (
    EXPORT_COLUMNS,
    address_story,
    reset_address,
    suppression_list,
)
from bouncewatch.store.timefmt import iso, parse_time, utcnow
from bouncewatch.trust.describe import describe

EX_TEMPFAIL = 75  #: sysexits.h: Postfix's pipe transport retries later
SUPPRESSING = ("invalid", "complained", "suspended")
PROGRESS_MIN_BYTES = 20 * 1024 * 1024
UNRECOGNISED_SHOWN = 10  #: unrecognised messages named in the text summary
DIAGNOSTIC_CUT = 300  #: characters of a diagnostic `status` shows without --full


# --- ingest -------------------------------------------------------------------------------------


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "messages": summary.fetched,
        "new": summary.new,
        "duplicates": summary.duplicates,
        "outcomes": dict(summary.outcomes),
        "events": dict(summary.event_types),
        "new_suppressions": dict(summary.suppressions),
        "unrecognized": summary.unrecognized,
        "failed_paths": summary.failed_paths,
    }


def render_summary(summary: Summary, out: TextIO) -> None:
    def counts(c: Counter[str]) -> str:
        return ", ".join(f"{k} {v}" for k, v in c.most_common()) or "none"

    already = f", {summary.duplicates} already recorded (skipped)" if summary.duplicates else ""
    print(f"messages: {summary.fetched} read, {summary.new} new{already}", file=out)
    print(f"outcomes: {counts(summary.outcomes)}", file=out)
    print(f"events: {counts(summary.event_types)}", file=out)
    total = sum(summary.suppressions.values())
    detail = f" ({counts(summary.suppressions)})" if total else ""
    print(f"new suppressions: {total}{detail}", file=out)
    unrecognized = summary.unrecognized
    print(f"unrecognised: {len(unrecognized)}", file=out)
    for label in unrecognized[:UNRECOGNISED_SHOWN]:
        print(f"  {label}", file=out)
    if len(unrecognized) > UNRECOGNISED_SHOWN:
        more = len(unrecognized) - UNRECOGNISED_SHOWN
        print(f"  … {more} more (--json lists them all)", file=out)
    for p in summary.failed_paths:
        print(f"failed: {p}", file=out)


@click.command(name="ingest")
@click.argument("paths", nargs=-1, required=True)
@store_options
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: on a terminal, for inputs over 20 MB).",
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, 100_000),
    default=2000,
    show_default=True,
    help="Messages per commit when reading files (each message stays atomic).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(
    paths: tuple[str, ...],
    config_path: Path | None,
    db_path: Path | None,
    progress: bool | None,
    batch_size: int,
    as_json: bool,
) -> None:
    """Record the bounces in message files, folders, Maildirs, mboxes or stdin (`-`).

    Each message is parsed, classified and recorded with the address states it changes.
    A message recorded before (same content, or same mailbox UID) is skipped.  From stdin,
    a database that cannot be written exits with status 75, so Postfix retries later.
    """
    setup_cli_logging()
    from_stdin = STDIN in paths
    settings = load_settings(config_path, db_path)
    existed = settings.database.exists()
    try:
        store = open_store(settings, records=True)
    except click.ClickException as e:
        if from_stdin:
            click.echo(f"Error: {e.message}", err=True)
            sys.exit(EX_TEMPFAIL)
        raise
    total = 0 if from_stdin else total_size(paths)
    show = (
        progress if progress is not None else (sys.stderr.isatty() and total > PROGRESS_MIN_BYTES)
    )
    # stdin (a Postfix pipe): commit before exit status 0; files: grouped commits
    source = FileSource(
        paths,
        1 if from_stdin else batch_size,
        on_error=lambda e: click.echo(f"Error: {e}", err=True),
    )
    try:
        with Progress(total, enabled=bool(show)) as bar, stop_on_signals() as stop:
            summary = ingest_source(
                source,
                store,
                settings.parse_options,
                stop=stop,
                on_message=lambda raw: bar.advance(len(raw.data)),
            )
            if not stop.is_set():
                bar.finish()
    except (StoreError, sqlite3.Error) as e:
        if from_stdin:
            click.echo(f"Error: database: {e}", err=True)
            sys.exit(EX_TEMPFAIL)
        raise click.ClickException(f"database error: {e}") from None
    finally:
        store.close()
        if not existed and not _recorded(settings.database):
            _remove_database(settings.database)  # nothing recorded: leave no empty file behind
    summary.failed_paths = source.failed_paths
    if stop.signal is not None:
        click.echo(
            f"Interrupted ({stop.signal.name}): {summary.fetched} message(s) committed "
            f"({summary.new} new), the message in hand finished. Run the same command again "
            "to record the rest (what is recorded is skipped).",
            err=True,
        )
        # a Postfix pipe retries on 75 (and would bounce the bounce on another code)
        sys.exit(EX_TEMPFAIL if from_stdin else 128 + stop.signal.value)
    if as_json:
        click.echo(json.dumps(summary_json(summary), indent=2))
    else:
        render_summary(summary, sys.stdout)
    if summary.failed_paths:
        sys.exit(1)


def _recorded(path: Path) -> bool:
    """Whether the database at `path` holds any message (an unreadable one counts as holding)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM messages)").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return True


def _remove_database(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


# --- status -------------------------------------------------------------------------------------


@click.command(name="status")
@click.argument("addresses", nargs=-1, required=True)
@store_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per address.")
@click.option(
    "--full",
    is_flag=True,
    help=f"Show diagnostics whole (the text view cuts them at {DIAGNOSTIC_CUT} characters).",
)
def status(
    addresses: tuple[str, ...],
    config_path: Path | None,
    db_path: Path | None,
    as_json: bool,
    full: bool,
) -> None:
    """The state of each ADDRESS, since when, and every event and change behind it.

    Exit status 1 if an address has never been seen.
    """
    settings = load_settings(config_path, db_path)
    store = open_store(settings, must_exist=True)
    missing = 0
    now = utcnow()
    with cli_errors():
        try:
            for i, address in enumerate(addresses):
                story = address_story(store, address)
                if story is None:
                    missing += 1
                if as_json:
                    click.echo(json.dumps(story or {"address": address, "state": None}))
                    continue
                if i:
                    click.echo("")
                _print_story(address, story, now, full=full)
        finally:
            store.close()
    sentence, authenticated = describe(settings.trust)
    if not authenticated and not as_json:  # after the stories: they are what was asked for
        click.echo(f"\nwarning: {sentence}", err=True)
    if missing:
        sys.exit(1)


def _said(diagnostic: str, full: bool) -> str:
    if full or len(diagnostic) <= DIAGNOSTIC_CUT:
        return diagnostic
    return (
        f"{diagnostic[:DIAGNOSTIC_CUT].rstrip()} … "
        f"[cut at {DIAGNOSTIC_CUT} of {len(diagnostic)} characters: --full shows all]"
    )


def _print_story(asked: str, s: dict[str, Any] | None, now: datetime, *, full: bool) -> None:
    if s is None:
        click.echo(f"{asked}: never seen (no bounce, complaint or report recorded)")
        return
    state = s["state"]
    line = f"{s['address']}: {state} since {s['state_since']}"
    until = parse_time(s["suspended_until"])
    if state == "suspended" and until is not None:
        ended = " (over: active again at the next event or daemon pass)" if until <= now else ""
        line += f", until {s['suspended_until']}{ended}"
    click.echo(line)
    if s["last_reason"]:
        click.echo(
            f"  reason: {s['last_reason']}" + (f" ({s['last_status']})" if s["last_status"] else "")
        )
    click.echo(
        f"  bounces: hard {s['hard_count']}, soft {s['soft_count']}, block {s['block_count']}; "
        f"first seen {s['first_seen_at']}, last seen {s['last_seen_at']}"
    )
    click.echo("  history:")
    for h in s["history"]:
        if h["type"] == "change":
            note = f' — "{h["note"]}"' if h["note"] else ""
            click.echo(f"  {h['at']}  {h['from_state']} → {h['to_state']} ({h['rule']}){note}")
            continue
        code = " ".join(str(x) for x in (h["status"], h["smtp_code"]) if x)
        kind = h["event_type"] if h["event_type"] != "bounce" else f"{h['bounce_type']} bounce"
        counted = (
            ""
            if h["event_type"] != "bounce" or h["counted"]
            else " (not counted: same day or already suppressed)"
        )
        if not h.get("trusted", 1):
            counted = f" (not trusted: {h['trust']}; changed nothing)"
        click.echo(f"  {h['at']}  {kind}: {h['reason']} {code}{counted}".rstrip())
        if h["diagnostic"]:
            click.echo(f"      said: {_said(h['diagnostic'], full)}")
        where = ", ".join(
            x
            for x in (
                f"remote {h['remote_mta']}" if h["remote_mta"] else "",
                f"list {h['list_source']}" if h["list_source"] else "",
                f"rule {h['rule']}",
                f"message {h['message_id']}" if h["message_id"] else "",
                f"from {h['source']}",
            )
            if x
        )
        click.echo(f"      {where}")


# --- export -------------------------------------------------------------------------------------


@click.command(name="export")
@store_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "text"]),
    default="csv",
    show_default=True,
    help="csv (with a header line), json (an array) or text (one address per line).",
)
@click.option(
    "--state",
    "states",
    type=click.Choice(ADDRESS_STATES),
    multiple=True,
    help="Addresses in this state (repeatable). Default: the suppressed view.",
)
@click.option(
    "--since",
    callback=moment_callback,
    help=f"Only addresses whose state changed since then: {MOMENT_HELP}.",
)
@click.option(
    "-o", "--output", type=click.File("w", encoding="utf-8"), default="-", help="Output file."
)
def export(
    config_path: Path | None,
    db_path: Path | None,
    fmt: str,
    states: tuple[str, ...],
    since: str | None,
    output: TextIO,
) -> None:
    """The suppression list for a sending tool: addresses not to mail now, and why."""
    settings = load_settings(config_path, db_path)
    since_iso = since
    store = open_store(settings, must_exist=True)
    with cli_errors():
        try:
            rows = suppression_list(store, states=states, since=since_iso)
        finally:
            store.close()
    if fmt == "json":
        json.dump(rows, output, indent=1)
        output.write("\n")
    elif fmt == "text":
        output.writelines(r["address"] + "\n" for r in rows)
    else:
        w = csv.DictWriter(output, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(safe_dict(r) for r in rows)  # no cell a spreadsheet runs as a formula


# --- reset --------------------------------------------------------------------------------------


@click.command(name="reset")
@click.argument("address")
@click.option("--note", required=True, help="Why (recorded with the change).")
@store_options
def reset(address: str, note: str, config_path: Path | None, db_path: Path | None) -> None:
    """Put ADDRESS back to active by hand; the change and the note are recorded."""
    settings = load_settings(config_path, db_path)
    store = open_store(settings, must_exist=True)
    with cli_errors():
        try:
            change = reset_address(store, address, note, utcnow())
        finally:
            store.close()
    if change is None:
        click.echo(f"{address}: already active, nothing to reset (nothing recorded)")
        return
    click.echo(
        f"{address}: {change.from_state} → {change.to_state} (manual_reset) at {iso(change.at)}"
    )


# --- check-config -------------------------------------------------------------------------------


@click.command(name="check-config")
@store_options
def check_config(config_path: Path | None, db_path: Path | None) -> None:
    """Validate the configuration as `run` does and print the effective settings (secrets
    never shown).

    Every problem is reported, each naming its key.  Also checks that each mailbox's password
    source can be read (a systemd credential is read by the service at run time).  With a
    configuration file, what `run` needs is checked too (a [[mailbox]], a database folder).
    Exit status 1 on a problem.
    """
    path = locate_config(config_path)
    try:
        settings = load_config(path)
    except ConfigError as e:
        raise click.ClickException(_problems_text(e.problems)) from None
    if db_path is not None:
        settings = settings.with_database(db_path)
    problems: list[str] = []
    if settings.path is not None:
        problems += [f"{settings.path}: {p}" for p in run_problems(settings)]
    origin = str(settings.path) if settings.path else "none (built-in defaults)"
    lines = [f"# configuration file: {origin}"]
    db = settings.database
    lines.append(f"# database: {db} ({'exists' if db.exists() else 'will be created'})")
    sentence, _authenticated = describe(settings.trust)
    lines.append(f"# {sentence}")
    try:
        if settings.trust.verp_secret_credential and not os.environ.get("CREDENTIALS_DIRECTORY"):
            lines.append(
                f"# trust: credential {settings.trust.verp_secret_credential!r} will be read "
                "from $CREDENTIALS_DIRECTORY at run time (LoadCredential= in the unit)"
            )
        elif secrets := read_verp_secrets(settings.trust):
            lines.append(f"# trust: {len(secrets)} VERP secret(s) readable (not shown)")
    except ConfigError as e:
        problems.append(str(e))
        lines.append(f"# trust: PROBLEM: {e}")
    for mb in settings.mailboxes:
        try:
            lines.append(f"# mailbox {mb.name}: {check_secret(mb)}")
        except ConfigError as e:
            problems.append(str(e))
            lines.append(f"# mailbox {mb.name}: PROBLEM: {e}")
    click.echo("\n".join(lines))
    click.echo(to_toml(settings.masked()), nl=False)
    if problems:
        raise click.ClickException(_problems_text(problems))


def _problems_text(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems)


__all__ = ["check_config", "export", "ingest", "reset", "status"]
