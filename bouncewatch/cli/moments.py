"""The click side of the one duration/date grammar (`bouncewatch.durations`)."""

from __future__ import annotations

import click

from bouncewatch.durations import parse_moment
from bouncewatch.store.timefmt import iso

MOMENT_HELP = "YYYY-MM-DD, an ISO date-time, or a duration ago (7d, 12h, 1h30m, 1w2d)"


def moment_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--since / --until → ISO UTC instant (a bare date given to --until includes that day)."""
    if value is None:
        return None
    try:
        return iso(parse_moment(value, end=param.name == "until"))
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


__all__ = ["MOMENT_HELP", "moment_callback"]
