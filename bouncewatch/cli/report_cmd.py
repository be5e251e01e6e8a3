"""`bouncewatch report` (counts, rates, findings, HTML page) and `bouncewatch sent`."""

from __future__ import annotations

import logging
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click

from bouncewatch.cli.common import (
    cli_errors,
    load_settings,
    open_store,
    setup_cli_logging,
    store_options,
)
from bouncewatch.cli.moments import MOMENT_HELP, moment_callback
from bouncewatch.reports.datasette import metadata_json
from bouncewatch.reports.findings import Thresholds
from bouncewatch.reports.queries import Period
from bouncewatch.reports.report import (
    BUCKETS,
    WEEKLY_AFTER_DAYS,
    InvertedPeriod,
    build_report,
    default_bucket,
)
from bouncewatch.reports.text import render_csv, render_json, render_table
from bouncewatch.store import Store
from bouncewatch.store.sent import read_sent_file, record_sent, sent_message

log = logging.getLogger("bouncewatch.cli.report")


def _open(db_path: Path | None, config_path: Path | None) -> Store:
    """The configured database (or --db), which must exist: reports never create one."""
    return open_store(load_settings(config_path, db_path), must_exist=True)


def _thresholds(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Thresholds:
    pairs = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE")
        pairs[name.strip().replace("-", "_")] = value.strip()
    try:
        return Thresholds.with_overrides(pairs)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command(name="report")
@store_options
@click.option("--since", callback=moment_callback, help=f"Start: {MOMENT_HELP}.")
@click.option(
    "--until",
    callback=moment_callback,
    help="End, in the same forms (a bare date is included).  Default: no end.",
)
@click.option(
    "--by",
    type=click.Choice(BUCKETS),
    help="Bucket rows by (default: day; week for a text report over more than "
    f"{WEEKLY_AFTER_DAYS} days).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: rows, totals, findings.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV rows (no findings).")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML page with charts to FILE instead.",
)
@click.option(
    "--datasette",
    "datasette_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write Datasette metadata (canned queries) for this database to FILE instead.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most N rows (latest days/weeks).")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    callback=_thresholds,
    metavar="NAME=VALUE",
    help="Change a finding threshold, e.g. spike_factor=4 (repeatable; names in the README).",
)
@click.option("--no-findings", is_flag=True, help="Counts only, skip the findings.")
def report(
    config_path: Path | None,
    db_path: Path | None,
    since: str | None,
    until: str | None,
    by: str | None,
    as_json: bool,
    as_csv: bool,
    html_file: Path | None,
    datasette_file: Path | None,
    limit: int | None,
    thresholds: Thresholds,
    no_findings: bool,
) -> None:
    """Hard / soft / block / complaint counts and rates per day, week, domain or list source,
    with the findings a sender should act on (spikes, throttling, blocks, bad sources)."""
    if sum((as_json, as_csv, html_file is not None, datasette_file is not None)) > 1:
        raise click.UsageError("choose one of --json, --csv, --html, --datasette")
    if since and until and since >= until:
        raise click.UsageError(str(InvertedPeriod(Period(since, until))))
    setup_cli_logging()
    store = _open(db_path, config_path)
    path = store.path
    if datasette_file is not None:
        store.close()
        datasette_file.write_text(metadata_json(path.stem), encoding="utf-8")
        click.echo(f"wrote {datasette_file}: datasette {path} -m {datasette_file}", err=True)
        return
    conn = store.conn
    period = Period(since, until)
    try:
        if html_file is not None:
            from bouncewatch.reports.html import render_page

            page = render_page(conn, period, thresholds=thresholds, title=path.name)
            html_file.write_text(page, encoding="utf-8")
            log.info("event=report_html file=%s bytes=%d", html_file, len(page))
            click.echo(f"wrote {html_file}", err=True)
            return
        if by is None:
            text = not (as_json or as_csv)
            by = default_bucket(conn, period) if text else "day"
        rep = build_report(
            conn,
            period,
            by=by,
            thresholds=thresholds,
            limit=limit,
            findings=not (no_findings or as_csv),
        )
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    except sqlite3.DatabaseError as e:
        raise click.ClickException(f"database error: {e}") from None
    finally:
        store.close()
    if as_json:
        click.echo(render_json(rep))
    elif as_csv:
        click.echo(render_csv(rep), nl=False)
    else:
        click.echo(render_table(rep, findings=not no_findings))


@click.command(name="sent")
@store_options
@click.option("--source", default="", help="List source the messages went to ('' = none named).")
@click.option("--count", type=click.IntRange(min=0), help="Messages sent (for rates).")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Day sent (UTC), YYYY-MM-DD.  Default: today.",
)
@click.option("--add", is_flag=True, help="Add to the day's count instead of replacing it.")
@click.option(
    "--message-id",
    "message_ids",
    multiple=True,
    help="Message-ID of a message sent (repeatable): a bounce returning it is authenticated.",
)
@click.option(
    "--to",
    "recipients",
    multiple=True,
    help="A recipient of the --message-id message(s) (repeatable).",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Messages sent, as JSON Lines or CSV (message_id, to, sent_at, source); '-' = stdin.",
)
def sent(
    config_path: Path | None,
    db_path: Path | None,
    source: str,
    count: int | None,
    day: datetime | None,
    add: bool,
    message_ids: tuple[str, ...],
    recipients: tuple[str, ...],
    files: tuple[Path, ...],
) -> None:
    """Record what went out: how many messages (--count, so reports can give rates), and
    which ones (--message-id / --file, so their bounces are authenticated: docs/trust.md)."""
    if count is None and not message_ids and not files:
        raise click.UsageError("give --count, --message-id or --file")
    if recipients and not message_ids:
        raise click.UsageError("--to names the recipients of a --message-id")
    when: date = day.date() if day else datetime.now(UTC).date()
    setup_cli_logging()
    now = datetime.now(UTC)
    with cli_errors():
        messages = [sent_message(m, list(recipients), source=source) for m in message_ids]
        for f in files:
            text = sys.stdin.read() if str(f) == "-" else None
            messages.extend(read_sent_file(f, text))
    store = open_store(load_settings(config_path, db_path))
    try:
        if messages:
            with cli_errors():
                new, new_to = record_sent(store, messages, now)
            log.info("event=sent_messages messages=%d new=%d recipients_new=%d",
                     len(messages), new, new_to)  # fmt: skip
            click.echo(f"{len(messages)} message(s) recorded ({new} new, {new_to} new recipients)")
        if count is not None:
            _record_count(store, when, source, count, add)
    finally:
        store.close()


def _record_count(store: Store, when: date, source: str, count: int, add: bool) -> None:
    update = "count + excluded.count" if add else "excluded.count"
    try:
        with store.write() as conn:
            conn.execute(
                "INSERT INTO sent(day, source, count) VALUES (?, ?, ?)"
                f" ON CONFLICT(day, source) DO UPDATE SET count = {update}",
                (str(when), source, count),
            )
            total = conn.execute(
                "SELECT count FROM sent WHERE day = ? AND source = ?", (str(when), source)
            ).fetchone()[0]
    except sqlite3.Error as e:
        raise click.ClickException(str(e)) from None
    log.info("event=sent day=%s source=%s count=%d", when, source or "-", total)
    click.echo(f"{when} {source or '(none)'}: {total} sent")
