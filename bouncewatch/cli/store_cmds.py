"""`ingest`, `status`, `export`, `reset` and `check-config`: the commands over the store."""

from __future__ import annotations

import contextlib
import csv
import json
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass, field
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
from bouncewatch.config import (
    ConfigError,
    check_secret,
    load_config,
    locate_config,
    run_problems,
    to_toml,
)
from bouncewatch.errors import SourceError, StoreError
from bouncewatch.model import ADDRESS_STATES
from bouncewatch.parse import parse_message
from bouncewatch.sources.files import STDIN, iter_path, total_size
from bouncewatch.store import RecordOutcome
from bouncewatch.store.queries import (
    EXPORT_COLUMNS,
    address_story,
    reset_address,
    suppression_list,
)
from bouncewatch.store.timefmt import iso, parse_time, utcnow

EX_TEMPFAIL = 75  #: sysexits.h: Postfix's pipe transport retries later
SUPPRESSING = ("invalid", "complained", "suspended")
PROGRESS_MIN_BYTES = 20 * 1024 * 1024


# --- ingest -------------------------------------------------------------------------------------


@dataclass
class IngestSummary:
    read: int = 0
    new: int = 0
    duplicates: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    suppressions: Counter[str] = field(default_factory=Counter)
    unrecognized: list[str] = field(default_factory=list)
    failed_paths: list[str] = field(default_factory=list)

    def add(self, source: str, out: RecordOutcome) -> None:
        self.read += 1
        if out.duplicate:
            self.duplicates += 1
            return
        self.new += 1
        self.outcomes[out.outcome] += 1
        if out.outcome in ("unrecognized", "error"):
            self.unrecognized.append(source)
        for event_type, bounce_type in out.event_types:
            self.events[bounce_type if event_type == "bounce" else event_type] += 1
        for _address, _from, to in out.changes:
            if to in SUPPRESSING:
                self.suppressions[to] += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "outcomes": dict(self.outcomes),
            "events": dict(self.events),
            "new_suppressions": dict(self.suppressions),
            "unrecognized": self.unrecognized,
            "failed_paths": self.failed_paths,
        }

    def render(self, out: TextIO) -> None:
        def counts(c: Counter[str]) -> str:
            return ", ".join(f"{k} {v}" for k, v in c.most_common()) or "none"

        print(
            f"messages: {self.read} read, {self.new} new, "
            f"{self.duplicates} already recorded (nothing written)",
            file=out,
        )
        print(f"outcomes: {counts(self.outcomes)}", file=out)
        print(f"events: {counts(self.events)}", file=out)
        total = sum(self.suppressions.values())
        detail = f" ({counts(self.suppressions)})" if total else ""
        print(f"new suppressions: {total}{detail}", file=out)
        shown = ", ".join(self.unrecognized[:5])
        more = f", … {len(self.unrecognized) - 5} more" if len(self.unrecognized) > 5 else ""
        print(
            f"unrecognised: {len(self.unrecognized)}{': ' + shown + more if shown else ''}",
            file=out,
        )
        for p in self.failed_paths:
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
    try:
        store = open_store(settings)
    except click.ClickException as e:
        if from_stdin:
            click.echo(f"Error: {e.message}", err=True)
            sys.exit(EX_TEMPFAIL)
        raise
    options = settings.parse_options
    summary = IngestSummary()
    total = 0 if from_stdin else total_size(paths)
    show = (
        progress if progress is not None else (sys.stderr.isatty() and total > PROGRESS_MIN_BYTES)
    )
    bar = click.progressbar(length=max(total, 1), label="ingest", file=sys.stderr) if show else None
    try:
        # stdin (a Postfix pipe): commit before exit status 0; files: grouped commits
        with (
            store.batch(1 if from_stdin else batch_size, each_message_atomic=False),
            bar or contextlib.nullcontext(),
        ):
            for path in paths:
                try:
                    for raw in iter_path(path):
                        result = parse_message(raw.data, options)
                        summary.add(raw.source, store.record(raw, result, utcnow()))
                        if bar is not None:
                            bar.update(len(raw.data))
                except SourceError as e:
                    click.echo(f"Error: {e}", err=True)
                    summary.failed_paths.append(path)
    except (StoreError, sqlite3.Error) as e:
        if from_stdin:
            click.echo(f"Error: database: {e}", err=True)
            sys.exit(EX_TEMPFAIL)
        raise click.ClickException(f"database error: {e}") from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2))
    else:
        summary.render(sys.stdout)
    if summary.failed_paths:
        sys.exit(1)


# --- status -------------------------------------------------------------------------------------


@click.command(name="status")
@click.argument("addresses", nargs=-1, required=True)
@store_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per address.")
def status(
    addresses: tuple[str, ...], config_path: Path | None, db_path: Path | None, as_json: bool
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
                _print_story(address, story, now)
        finally:
            store.close()
    if missing:
        sys.exit(1)


def _print_story(asked: str, s: dict[str, Any] | None, now: datetime) -> None:
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
        click.echo(f"  {h['at']}  {kind}: {h['reason']} {code}{counted}".rstrip())
        if h["diagnostic"]:
            click.echo(f"      said: {h['diagnostic'][:300]}")
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
        w.writerows(rows)


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
