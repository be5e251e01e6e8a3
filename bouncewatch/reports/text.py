"""A report as a terminal table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

from bouncewatch.reports.csv_cells import safe_row
from bouncewatch.reports.explain import evidence_lines
from bouncewatch.reports.findings import Finding
from bouncewatch.reports.queries import Stats
from bouncewatch.reports.report import Report

OVER_MARK = "!"

CSV_COLUMNS = (
    "sent",
    "bounces",
    "hard",
    "soft",
    "block",
    "complaint",
    "undetermined",
    "delayed",
    "hard_pct",
    "soft_pct",
    "block_pct",
    "complaint_pct",
    "over",
)


def _pct(stats: Stats, name: str, limits: tuple[float, float, float]) -> str:
    value = stats.pct(getattr(stats, name))
    if value is None:
        return "-"
    mark = OVER_MARK if name in stats.over_limits(*limits) else ""
    return f"{value:.2f}%{mark}"


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _active(s: Stats) -> bool:
    return bool(s.bounces or s.complaint or s.delayed or s.sent)


def _totals_lines(report: Report) -> list[str]:
    t, limits = report.totals, report.thresholds.limits
    rates = {n: _pct(t, n, limits) for n in ("hard", "soft", "block", "complaint")}

    def part(name: str, label: str | None = None) -> str:
        rate = f" ({rates[name]})" if t.sent else ""
        return f"{label or name} {getattr(t, name):,}{rate}"

    sent = f"{t.sent:,} sent" if t.sent else "sent unknown (`bouncewatch sent` records it)"
    return [
        f"Totals: {sent}; {t.bounces:,} bounces",
        "  " + ", ".join((part("hard"), part("soft"), part("block"), part("complaint"))),
        f"  undetermined {t.undetermined:,}, delay notices {t.delayed:,}",
    ]


def _heading(report: Report) -> str:
    if report.days is None:
        return "bouncewatch report: no events recorded yet"
    first, last = report.days
    n = (last - first).days + 1
    span = f"{first} to {last}, {n:,} day{'s' if n != 1 else ''}"
    if report.period.since or report.period.until:
        span += f" (asked: {report.period.describe()})"
    return f"bouncewatch report: {span}, by {report.by}"


def render_table(report: Report, *, findings: bool = True) -> str:
    """The period and its totals, the findings, then the rows (days and weeks with activity).

    `findings=False` (`--no-findings`) leaves the findings out, with no line about them.
    """
    domain = report.by == "domain"
    head = [report.by, "sent", "bounces", "hard", "soft", "block", "complaint", "undet."]
    head += ["addresses"] if domain else ["hard%", "soft%", "block%", "compl.%"]

    def cells(s: Stats, key: str) -> list[str]:
        out = [key, _num(s.sent), _num(s.bounces), _num(s.hard), _num(s.soft), _num(s.block)]
        out += [_num(s.complaint), _num(s.undetermined)]
        if domain:
            return [*out, _num(s.addresses)]
        limits = report.thresholds.limits
        return out + [_pct(s, n, limits) for n in ("hard", "soft", "block", "complaint")]

    rows = report.rows
    quiet = 0
    if report.by in ("day", "week"):
        shown = [s for s in rows if _active(s)]
        quiet, rows = len(rows) - len(shown), shown
    body = [cells(s, s.key if s.key or report.by != "source" else "(none)") for s in rows]
    total = cells(report.totals, "total")
    if domain:
        total[-1] = ""
    widths = [max(len(r[i]) for r in [head, *body, total]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    out = [_heading(report), "", *_totals_lines(report), ""]
    if findings:
        out += [render_findings(report.findings), ""]
    out += [line(head), line(["-" * w for w in widths]), *map(line, body)]
    out += [line(["-" * w for w in widths]), line(total)]
    if quiet:
        unit = "day" if report.by == "day" else "week"
        out.append(f"({quiet:,} {unit}{'s' if quiet != 1 else ''} without activity not shown)")
    t = report.thresholds
    if not domain:
        out.append(
            f"{OVER_MARK} over the rate senders keep under: hard {t.hard_limit_pct:g}%, "
            f"soft {t.soft_limit_pct:g}%, complaint {t.complaint_limit_pct:g}% of messages sent"
            + ("" if report.totals.sent else " (no sent counts known: `bouncewatch sent`)")
        )
    return "\n".join(out)


def render_findings(findings: list[Finding]) -> str:
    if not findings:
        return "Findings: none."
    out = [f"Findings ({len(findings)}):"]
    for f in findings:
        out.append(f"* [{f.kind}] {f.title}")
        out.append(f"  what to do: {f.action}")
        lines = evidence_lines(f)
        width = max((len(label) for label, _ in lines), default=0)
        for label, text in lines:
            out.append(f"  {(label + ':') if label else '':<{width + 1}} {text}".rstrip())
    return "\n".join(out)


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    extra = ("addresses",) if report.by == "domain" else ()
    writer.writerow([report.by, *CSV_COLUMNS, *extra])
    for row in report.rows:
        d = row.as_dict()
        d["over"] = ";".join(row.over_limits(*report.thresholds.limits))
        cells = [row.key, *("" if d[c] is None else d[c] for c in (*CSV_COLUMNS, *extra))]
        writer.writerow(safe_row(cells))  # keys are domains and list sources from bounces
    return buf.getvalue()


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
