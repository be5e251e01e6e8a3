"""`bouncewatch report` (counts, rates, findings, HTML page) and `bouncewatch sent`."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import click

from bouncewatch.config import load_config
from bouncewatch.errors import BouncewatchError
from bouncewatch.reports.datasette import metadata_json
from bouncewatch.reports.findings import Thresholds
from bouncewatch.reports.queries import Period
from bouncewatch.reports.report import BUCKETS, build_report, parse_moment
from bouncewatch.reports.text import render_csv, render_json, render_table
from bouncewatch.store import Store

log = logging.getLogger("bouncewatch.cli.report")

_db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BOUNCEWATCH_DB",
    help="SQLite file (default: the configuration's `database`).  [env: BOUNCEWATCH_DB]",
)
_config_option = click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="BOUNCEWATCH_CONFIG",
    help="Configuration file.  [env: BOUNCEWATCH_CONFIG]",
)


def _database(db: Path | None, config: Path | None) -> Path:
    if db is not None:
        return db
    try:
        return load_config(config).database
    except BouncewatchError as e:
        raise click.ClickException(str(e)) from None


def _open(path: Path) -> Store:
    """Open an existing database (the store applies migrations and (re)creates the views)."""
    if not path.exists():
        raise click.ClickException(f"{path}: no such database (run `bouncewatch ingest` or `run`)")
    try:
        return Store.open(path)
    except BouncewatchError as e:
        raise click.ClickException(str(e)) from None


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_moment(value, end=param.name == "until")
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


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
@_db_option
@_config_option
@click.option(
    "--since", callback=_moment, help="Start: YYYY-MM-DD, ISO date-time, or 30d/12h/2w ago."
)
@click.option("--until", callback=_moment, help="End (a bare date is included).  Default: now.")
@click.option(
    "--by", type=click.Choice(BUCKETS), default="day", show_default=True, help="Bucket rows by."
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
    db: Path | None,
    config: Path | None,
    since: str | None,
    until: str | None,
    by: str,
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
    path = _database(db, config)
    if datasette_file is not None:
        datasette_file.write_text(metadata_json(path.stem), encoding="utf-8")
        click.echo(f"wrote {datasette_file}: datasette {path} -m {datasette_file}", err=True)
        return
    store = _open(path)
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
    finally:
        store.close()
    if as_json:
        click.echo(render_json(rep))
    elif as_csv:
        click.echo(render_csv(rep), nl=False)
    else:
        click.echo(render_table(rep))


@click.command(name="sent")
@_db_option
@_config_option
@click.option("--source", default="", help="List source the messages went to ('' = none named).")
@click.option("--count", type=click.IntRange(min=0), required=True, help="Messages sent.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Day sent (UTC), YYYY-MM-DD.  Default: today.",
)
@click.option("--add", is_flag=True, help="Add to the day's count instead of replacing it.")
def sent(
    db: Path | None, config: Path | None, source: str, count: int, day: datetime | None, add: bool
) -> None:
    """Record how many messages went out, so reports can give rates (hard under 2 %, …)."""
    when: date = day.date() if day else datetime.now(UTC).date()
    store = _open(_database(db, config))
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
    finally:
        store.close()
    log.info("event=sent day=%s source=%s count=%d", when, source or "-", total)
    click.echo(f"{when} {source or '(none)'}: {total} sent")
