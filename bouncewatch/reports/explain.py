"""A finding's evidence as labelled sentences a person reads (the text report and the HTML page).

`Finding.evidence` is data for programs (`report --json`); this module says it in words: counts
with their unit, rates as percentages, a baseline of zero as "none", nothing unknown shown.
"""

from __future__ import annotations

from typing import Any

from bouncewatch.reports.findings import Finding

#: entries of a list shown in the text report (the JSON has them all)
SHOWN = 10


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}%"


def _counted(items: list[dict[str, Any]], limit: int = 5) -> str:
    shown = ", ".join(f"{item['value']} {item['count']:,}" for item in items[:limit])
    return shown + (f", … {len(items) - limit} more" if len(items) > limit else "")


def _listed(items: list[dict[str, Any]]) -> list[str]:
    """Diagnostics and hosts one per line, most frequent first: `12× 550 5.7.26 …`."""
    return [f"{item['count']:,}× {item['value']}" for item in items]


def _day_span(start: str, end: str) -> str:
    """[since, until) of whole days → 'YYYY-MM-DD to YYYY-MM-DD' (the end day included)."""
    from datetime import date, timedelta

    last = date.fromisoformat(end[:10]) - timedelta(1)
    return f"{start[:10]} to {last}"


def _said_and_hosts(e: dict[str, Any]) -> list[tuple[str, str]]:
    """What the receivers said (one line each) and which hosts said it."""
    out = [("said", line) for line in _listed(e.get("diagnostics") or [])]
    if e.get("remote_mtas"):
        out.append(("hosts", _counted(e["remote_mtas"])))
    return out


def _rate_over(e: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (
            "measured",
            f"{e['count']:,} of {e['sent']:,} messages sent = {e['pct']:.2f}% "
            f"(limit {e['limit_pct']:g}%)",
        )
    ]


def _spike(e: dict[str, Any]) -> list[tuple[str, str]]:
    parts = ", ".join(f"{k} {e[k]:,}" for k in ("hard", "soft", "block") if e.get(k))
    days = e.get("baseline_days") or {}
    n_days = len(days)
    if e["measure"] == "rate":
        that_day = (
            f"{_plural(e['bounces'], 'bounce')} ({parts}) of {e['sent']:,} sent = "
            f"{_pct(e['bounces'] / e['sent'])}"
        )
        usual = _pct(e["baseline"])
        base = f"median rate of the {_plural(n_days, 'sending day')} before: {usual}"
    else:
        that_day = f"{_plural(e['bounces'], 'bounce')} ({parts})"
        if e["baseline"]:
            base = f"median of the {_plural(n_days, 'day')} before: {e['baseline']:g} a day"
        else:
            base = f"none on the {_plural(n_days, 'day')} before"
    out = [("that day", that_day), ("usually", base)]
    if e["baseline"]:
        out.append(("factor", f"{e['factor']:g}× (flagged from {e['threshold_factor']:g}×)"))
    if days:
        out.append(("bounces before", ", ".join(f"{d} {n:,}" for d, n in days.items())))
    if e.get("top_reasons"):
        out.append(("reasons", _counted(e["top_reasons"])))
    if e.get("top_domains"):
        out.append(("domains", _counted(e["top_domains"])))
    return out


def _throttled(e: dict[str, Any]) -> list[tuple[str, str]]:
    out = [
        (
            "soft bounces",
            f"{e['soft']:,}: rate limited {e['rate_limited']:,}, greylisted {e['greylisted']:,} "
            f"= {e['share']:.0%} (flagged from {e['threshold_share']:.0%})",
        ),
        ("seen", f"{e['first_at']} to {e['last_at']}"),
    ]
    return out + _said_and_hosts(e)


def _blocks(e: dict[str, Any]) -> list[tuple[str, str]]:
    recent, previous = e["recent_window"], e["previous_window"]
    out = [
        ("last days", f"{_plural(e['recent'], 'block')} ({_day_span(*recent)})"),
        ("days before", f"{_plural(e['previous'], 'block')} ({_day_span(*previous)})"),
        ("likely cause", e["likely_cause"]),
    ]
    if e.get("reasons"):
        out.append(("reasons", _counted(e["reasons"])))
    return out + _said_and_hosts(e)


def _bad_source(e: dict[str, Any]) -> list[tuple[str, str]]:
    if e["measure"] == "rate":
        this = f"{e['hard']:,} hard of {e['sent']:,} sent = {_pct(e['value'])}"
        label = "hard rate"
    else:
        this = f"{e['hard']:,} hard of {e['bounces']:,} bounces = {_pct(e['value'])}"
        label = "hard share"
    out = [
        (label, this),
        ("other sources", f"{_pct(e['others_value'])} (flagged from {e['threshold_factor']:g}×)"),
    ]
    if e.get("top_reasons"):
        out.append(("reasons", _counted(e["top_reasons"])))
    return out


def _re_engage(e: dict[str, Any]) -> list[tuple[str, str]]:
    out = [
        (
            "rule",
            f"{e['threshold_soft']}+ soft bounces over {e['threshold_days']}+ days, "
            "still bouncing, not suppressed for good",
        ),
        ("last reasons", ", ".join(f"{k} {v:,}" for k, v in e["last_reasons"].items())),
    ]
    listed = e.get("listed") or []
    for item in listed[:SHOWN]:
        state = f", {item['state']}" if item.get("state") else ""
        out.append(
            (
                "address",
                f"{item['address']}: {_plural(item['soft'], 'soft bounce')} "
                f"{item['first_at'][:10]} to {item['last_at'][:10]}, "
                f"last {item['last_reason'] or 'unknown'}{state}",
            )
        )
    if e["addresses"] > min(len(listed), SHOWN):
        out.append(("", f"… {e['addresses'] - min(len(listed), SHOWN):,} more (report --json)"))
    return out


EXPLAIN = {
    "rate_over": _rate_over,
    "spike": _spike,
    "throttled_domain": _throttled,
    "blocks_rising": _blocks,
    "bad_source": _bad_source,
    "re_engage": _re_engage,
}


def evidence_lines(f: Finding) -> list[tuple[str, str]]:
    """(label, text) pairs for a finding's evidence; a kind without words gets labelled values."""
    explain = EXPLAIN.get(f.kind)
    if explain is not None:
        return explain(f.evidence)
    return [
        (key.replace("_", " "), _n(value)) for key, value in f.evidence.items() if value is not None
    ]


__all__ = ["evidence_lines"]
