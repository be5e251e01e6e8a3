"""The report as one self-contained HTML page: inline CSS and SVG charts, no script, no URL.

Open it from disk, mail it, archive it: it needs no network and no JavaScript.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from html import escape

from bouncewatch import __version__
from bouncewatch.reports import queries as q
from bouncewatch.reports.explain import evidence_lines
from bouncewatch.reports.findings import Finding, Thresholds, find_all, spike_history_days

COLORS = {"hard": "#d1495b", "block": "#7b5ea7", "soft": "#edae49", "complaint": "#00798c"}
STACK = ("hard", "block", "soft")  # bottom to top
TYPE_COLORS = COLORS | {"undetermined": "#9aa0a8", "none": "#c9ced6"}
AXIS_LABELS = 9  #: dates under a chart at most (full YYYY-MM-DD: the year is on the axis)
SUPPRESSIONS_SHOWN = 100  #: newly suppressed addresses on the page (the latest)
SUPPRESSIONS_OPEN = 12  #: of which shown without a click

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2430;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 20px 48px}
h1{font-size:26px;margin:0 0 2px}h2{font-size:18px;margin:0 0 12px}
.sub{color:#5c6370;margin:0 0 22px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(155px,1fr));gap:12px;margin-bottom:22px}
.card{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08);
 border-top:4px solid #c9ced6}
.card .label{font-size:13px;color:#5c6370;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.card .rate{font-size:14px;color:#5c6370}.card .rate.over{color:#b3261e;font-weight:650}
section{background:#fff;border-radius:10px;padding:18px 20px;margin-bottom:18px;
 box-shadow:0 1px 3px rgba(0,0,0,.08)}
.legend{display:flex;gap:16px;font-size:13px;color:#444;margin:-4px 0 8px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
svg{width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:#5c6370}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:5px 8px;text-align:right;border-bottom:1px solid #eceef1}
th:first-child,td:first-child{text-align:left}th{color:#5c6370;font-weight:600;font-size:13px}
td.over{color:#b3261e;font-weight:650}
table.left td,table.left th{text-align:left}svg tspan{fill:#8a909a}
.finding{border-left:4px solid #d1495b;padding:8px 12px;margin:0 0 12px;background:#fbf7f7;border-radius:0 8px 8px 0}
.finding.spike{border-color:#d1495b}.finding.throttled_domain{border-color:#edae49}
.finding.blocks_rising{border-color:#7b5ea7}.finding.bad_source{border-color:#8c564b}
.finding.re_engage{border-color:#00798c}.finding.rate_over{border-color:#b3261e}
.finding .kind{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#5c6370}
.finding .title{font-weight:650}.finding .action{margin:2px 0 4px}
.finding dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0 0;font-size:13px}
.finding dt{color:#5c6370}.finding dd{margin:0;overflow-wrap:anywhere}
details summary{cursor:pointer;color:#3a5a99}
footer{color:#8a909a;font-size:12px;text-align:center}
"""


def _n(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    return next(m * exp for m in (1, 2, 2.5, 5, 10) if m * exp >= value)


def _legend(names: tuple[str, ...]) -> str:
    items = "".join(f'<span><i style="background:{COLORS[n]}"></i>{n}</span>' for n in names)
    return f'<div class="legend">{items}</div>'


def _axis_label(x: float, y: float, text: str, right_edge: float) -> str:
    """A date under a chart, centred on its bar, kept inside the chart at the right edge."""
    anchor = "end" if x + 34 > right_edge else "middle"
    x = min(x, right_edge) if anchor == "end" else x
    return f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}">{text}</text>'


def daily_chart(days: list[q.Stats], spikes: set[str]) -> str:
    """Stacked bars of hard / block / soft per day; spike days marked with a triangle."""
    w, h, left, right, top, bottom = 960, 280, 52, 12, 18, 40
    pw, ph = w - left - right, h - top - bottom
    ymax = _nice_max(max((d.hard + d.soft + d.block for d in days), default=0))
    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="bounces per day">']
    for i in range(5):
        v = ymax * i / 4
        y = top + ph - ph * i / 4
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e8ec"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    slot = pw / max(len(days), 1)
    bar = max(slot * 0.78, 1.0)
    step = max(1, math.ceil(len(days) / AXIS_LABELS))
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + ph
        tip = f"{d.key}: hard {d.hard:,}, block {d.block:,}, soft {d.soft:,}, complaints {d.complaint:,}"
        if d.sent:
            tip += f", sent {d.sent:,}"
        parts.append(f'<g class="day" data-day="{d.key}"><title>{escape(tip)}</title>')
        for name in STACK:
            hgt = ph * getattr(d, name) / ymax
            if hgt > 0:
                y -= hgt
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{hgt:.1f}" fill="{COLORS[name]}"/>'
                )
        if d.key in spikes:
            cx = x + bar / 2
            parts.append(
                f'<path d="M{cx - 5:.1f},{y - 10:.1f} h10 l-5,7 z" fill="#b3261e"><title>spike</title></path>'
            )
        parts.append("</g>")
        if i % step == 0:
            parts.append(_axis_label(x + bar / 2, h - bottom + 16, d.key, w - right))
    parts.append(
        f'<line x1="{left}" x2="{w - right}" y1="{top + ph}" y2="{top + ph}" stroke="#9aa0a8"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def rate_chart(days: list[q.Stats], t: Thresholds) -> str:
    """Hard and soft rate per day (days with a sent count), with the threshold lines."""
    known = [d for d in days if d.sent]
    w, h, left, right, top, bottom = 960, 220, 52, 12, 14, 36
    pw, ph = w - left - right, h - top - bottom
    top_value = max(
        [t.soft_limit_pct * 1.2]
        + [d.soft_pct or 0 for d in known]
        + [d.hard_pct or 0 for d in known]
    )
    ymax = _nice_max(top_value)
    slot = pw / max(len(days), 1)
    index = {d.key: i for i, d in enumerate(days)}

    def xy(d: q.Stats, v: float) -> str:
        return f"{left + (index[d.key] + 0.5) * slot:.1f},{top + ph - ph * v / ymax:.1f}"

    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="bounce rates per day">']
    for i in range(5):
        v = ymax * i / 4
        y = top + ph - ph * i / 4
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e8ec"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:g}%</text>')
    for name, limit in (("hard", t.hard_limit_pct), ("soft", t.soft_limit_pct)):
        y = top + ph - ph * limit / ymax
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLORS[name]}" '
            f'stroke-dasharray="6 4"/><text x="{w - right - 4}" y="{y - 4:.1f}" text-anchor="end">'
            f"{name} limit {limit:g}%</text>"
        )
        points = " ".join(xy(d, d.pct(getattr(d, name)) or 0) for d in known)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{COLORS[name]}" stroke-width="2"/>'
        )
        for d in known:
            v = d.pct(getattr(d, name)) or 0
            cx, cy = xy(d, v).split(",")
            parts.append(
                f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{COLORS[name]}"><title>{d.key}: {name} '
                f"{v:.2f}% of {d.sent:,} sent</title></circle>"
            )
    step = max(1, math.ceil(len(days) / AXIS_LABELS))
    for i, d in enumerate(days):
        if i % step == 0:
            x = left + (i + 0.5) * slot
            parts.append(_axis_label(x, h - bottom + 16, d.key, w - right))
    parts.append("</svg>")
    return "".join(parts)


def domain_chart(domains: list[q.Stats]) -> str:
    """Horizontal stacked bars for the top receiving domains."""
    row, left, right, w = 26, 220, 70, 960
    h = row * len(domains) + 8
    xmax = _nice_max(max((d.hard + d.soft + d.block for d in domains), default=0))
    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="top receiving domains">']
    for i, d in enumerate(domains):
        y = 4 + i * row
        tip = f"{d.key}: hard {d.hard:,}, block {d.block:,}, soft {d.soft:,}, complaints {d.complaint:,}"
        parts.append(f'<g class="domain"><title>{escape(tip)}</title>')
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" style="fill:#1f2430">{escape(d.key)}</text>'
        )
        x = float(left)
        for name in STACK:
            wid = (w - left - right) * getattr(d, name) / xmax
            if wid > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{wid:.1f}" height="{row - 8}" rx="2" fill="{COLORS[name]}"/>'
                )
                x += wid
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}">{d.hard + d.soft + d.block:,}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _card(label: str, value: int | None, pct: float | None, limit: float | None, color: str) -> str:
    rate = ""
    if pct is not None:
        over = limit is not None and pct >= limit
        note = f" (limit {limit:g}%)" if limit is not None else ""
        rate = f'<div class="rate{" over" if over else ""}">{pct:.2f}% of sent{note}</div>'
    shown = _n(value)
    if value is not None and value >= 10_000_000:  # keep the card's number on one line
        shown = f"{value / 1e6:,.1f} M"
    return (
        f'<div class="card" style="border-top-color:{color}" title="{label}: {_n(value)}">'
        f'<div class="label">{label}</div><div class="value">{shown}</div>{rate}</div>'
    )


def _stats_table(first: str, rows: list[q.Stats], t: Thresholds) -> str:
    limits = {
        "hard": t.hard_limit_pct,
        "soft": t.soft_limit_pct,
        "complaint": t.complaint_limit_pct,
    }
    head = "".join(
        f"<th>{c}</th>"
        for c in (
            first,
            "sent",
            "bounces",
            "hard",
            "soft",
            "block",
            "complaints",
            "hard %",
            "soft %",
            "block %",
        )
    )
    body = []
    for s in rows:
        cells = [f"<td>{escape(s.key or '(none)')}</td>"]
        cells += [
            f"<td>{_n(v)}</td>" for v in (s.sent, s.bounces, s.hard, s.soft, s.block, s.complaint)
        ]
        for name in ("hard", "soft", "block"):
            pct = s.pct(getattr(s, name))
            over = pct is not None and name in limits and pct >= limits[name]
            text = "–" if pct is None else f"{pct:.2f}%"
            cells.append(f'<td class="over">{text}</td>' if over else f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _finding(f: Finding) -> str:
    items = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" for label, text in evidence_lines(f)
    )
    return (
        f'<div class="finding {escape(f.kind)}"><div class="kind">{escape(f.kind.replace("_", " "))}</div>'
        f'<div class="title">{escape(f.title)}</div><div class="action">{escape(f.action)}</div>'
        f"<details><summary>evidence</summary><dl>{items}</dl></details></div>"
    )


def reason_chart(reasons: list[q.ReasonCount]) -> str:
    """One bar per reason (coloured by its bounce type), most frequent first."""
    row, left, right, w = 24, 220, 90, 960
    h = row * len(reasons) + 8
    total = sum(r.count for r in reasons) or 1
    xmax = _nice_max(max((r.count for r in reasons), default=0))
    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="bounces by reason">']
    for i, r in enumerate(reasons):
        y = 4 + i * row
        wid = max((w - left - right) * r.count / xmax, 1.0)
        color = TYPE_COLORS.get(r.bounce_type, "#9aa0a8")
        tip = f"{r.reason} ({r.bounce_type}): {r.count:,}, {r.count / total:.1%} of the period's"
        kind = "" if r.bounce_type == r.reason else f" <tspan>({escape(r.bounce_type)})</tspan>"
        parts.append(
            f'<g class="reason" data-reason="{escape(r.reason)}"><title>{escape(tip)}</title>'
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" style="fill:#1f2430">'
            f"{escape(r.reason)}{kind}</text>"
            f'<rect x="{left}" y="{y + 4}" width="{wid:.1f}" height="{row - 8}" rx="2" fill="{color}"/>'
            f'<text x="{left + wid + 6:.1f}" y="{y + 15}">{r.count:,} · {r.count / total:.1%}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _suppressions(total: int, rows: list[q.Suppression]) -> str:
    if not total:
        return "<p>No address was newly suppressed in this period.</p>"
    head = "".join(f"<th>{c}</th>" for c in ("address", "now", "since", "reason", "status", "rule"))

    def table(part: list[q.Suppression]) -> str:
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{escape(v or '–')}</td>"
                for v in (r.address, r.state, r.at, r.reason, r.status, r.rule)
            )
            + "</tr>"
            for r in part
        )
        return f'<table class="left"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    shown = table(rows[:SUPPRESSIONS_OPEN])
    if len(rows) > SUPPRESSIONS_OPEN:
        shown += (
            f"<details><summary>{len(rows) - SUPPRESSIONS_OPEN:,} more</summary>"
            f"{table(rows[SUPPRESSIONS_OPEN:])}</details>"
        )
    more = (
        f"<p>… and {total - len(rows):,} more: <code>bouncewatch export --since DATE</code> "
        "lists them all.</p>"
        if total > len(rows)
        else ""
    )
    return shown + more


def _asked(period: q.Period) -> str:
    return "all history" if not (period.since or period.until) else f"asked: {period.describe()}"


def render_page(
    conn: sqlite3.Connection,
    period: q.Period,
    *,
    thresholds: Thresholds | None = None,
    title: str = "bouncewatch",
    top_domains: int = 12,
    now: datetime | None = None,
) -> str:
    """The whole page for `period` as a string."""
    t = thresholds or Thresholds()
    snap = q.Snapshot(conn, period, history_days=spike_history_days(t))
    days = snap.daily()
    total = snap.totals()
    domains = snap.domains(limit=top_domains)
    sources = snap.sources()
    findings = find_all(conn, period, t, snapshot=snap)
    spikes = {f.subject for f in findings if f.kind == "spike"}
    reasons = q.by_reason(conn, period)
    suppressed, suppressed_rows = q.new_suppressions(conn, period, limit=SUPPRESSIONS_SHOWN)
    span = f"{days[0].key} – {days[-1].key}" if days else "no events"
    span += f" ({_asked(period)})"
    generated = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    cards = "".join(
        (
            _card("Sent", total.sent, None, None, "#c9ced6"),
            _card("Bounces", total.bounces, None, None, "#3a5a99"),
            _card("Hard", total.hard, total.hard_pct, t.hard_limit_pct, COLORS["hard"]),
            _card("Soft", total.soft, total.soft_pct, t.soft_limit_pct, COLORS["soft"]),
            _card("Block", total.block, total.block_pct, None, COLORS["block"]),
            _card(
                "Complaints",
                total.complaint,
                total.complaint_pct,
                t.complaint_limit_pct,
                COLORS["complaint"],
            ),
        )
    )
    found = "".join(_finding(f) for f in findings) or "<p>Nothing stands out.</p>"
    sections = [
        f"<section><h2>Findings ({len(findings)})</h2>{found}</section>",
        f"<section><h2>Bounces per day</h2>{_legend(STACK)}{daily_chart(days, spikes)}</section>",
    ]
    if any(d.sent for d in days):
        sections.append(
            f"<section><h2>Rates per day</h2>{_legend(('hard', 'soft'))}{rate_chart(days, t)}</section>"
        )
    if domains:
        sections.append(
            f"<section><h2>Top receiving domains</h2>{_legend(STACK)}{domain_chart(domains)}</section>"
        )
    if reasons:
        types = tuple(dict.fromkeys(r.bounce_type for r in reasons))
        legend = "".join(
            f'<span><i style="background:{TYPE_COLORS.get(n, "#9aa0a8")}"></i>{n}</span>'
            for n in types
        )
        sections.append(
            f'<section><h2>Bounces by reason</h2><div class="legend">{legend}</div>'
            f"{reason_chart(reasons)}</section>"
        )
    sections.append(
        f"<section><h2>Newly suppressed ({suppressed:,})</h2>"
        f"{_suppressions(suppressed, suppressed_rows)}</section>"
    )
    sections.append(f"<section><h2>List sources</h2>{_stats_table('source', sources, t)}</section>")
    sections.append(
        "<section><h2>Days</h2><details><summary>table of "
        f"{len(days):,} days</summary>{_stats_table('day', days, t)}</details></section>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Bounce report — {escape(title)}</title><style>{CSS}</style></head><body><main>"
        f'<h1>Bounce report</h1><p class="sub">{escape(title)} · {escape(span)} · generated {generated}</p>'
        f'<div class="cards">{cards}</div>{"".join(sections)}'
        f"<footer>bouncewatch {escape(__version__)} · hard under {t.hard_limit_pct:g}%, soft under "
        f"{t.soft_limit_pct:g}%, complaints under {t.complaint_limit_pct:g}% of messages sent</footer>"
        "</main></body></html>\n"
    )
