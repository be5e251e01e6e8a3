"""A report as a terminal table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bouncewatch.reports.csv_cells import safe_row
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


def render_table(report: Report) -> str:
    """Aligned columns, a total line, the threshold legend and the findings."""
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

    body = [cells(s, s.key if s.key or report.by != "source" else "(none)") for s in report.rows]
    total = cells(report.totals, "total")
    if domain:
        total[-1] = ""
    widths = [max(len(r[i]) for r in [head, *body, total]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    out = [line(head), line(["-" * w for w in widths]), *map(line, body)]
    out += [line(["-" * w for w in widths]), line(total)]
    t = report.thresholds
    if not domain:
        out.append(
            f"{OVER_MARK} over the rate senders keep under: hard {t.hard_limit_pct:g}%, "
            f"soft {t.soft_limit_pct:g}%, complaint {t.complaint_limit_pct:g}% of messages sent"
            + ("" if report.totals.sent else " (no sent counts known: `bouncewatch sent`)")
        )
    out.append("")
    out.append(render_findings(report.findings))
    return "\n".join(out)


def render_findings(findings: list[Finding]) -> str:
    if not findings:
        return "Findings: none."
    out = [f"Findings ({len(findings)}):"]
    for f in findings:
        out.append(f"* [{f.kind}] {f.title}")
        out.append(f"  what to do: {f.action}")
        for key, value in f.evidence.items():
            out.append(f"  {key}: {_evidence(value)}")
    return "\n".join(out)


def _evidence(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict) and "count" in value[0]:
        return "; ".join(f"{v['value']} ({v['count']})" for v in value)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "\n    " + "\n    ".join(
            " ".join(f"{k}={v}" for k, v in item.items()) for item in value
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return " → ".join(map(str, value))
    return str(value)


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
