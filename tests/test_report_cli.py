"""`bouncewatch report` and `bouncewatch sent` on a real database file."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
import synthetic as syn
from click.testing import CliRunner

from bouncewatch.cli import main


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bouncewatch.db"
    conn = syn.create_database(path)
    syn.month_with_findings().write(conn)
    conn.close()
    return path


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_sent_sets_adds_and_replaces_counts(tmp_path: Path):
    path = tmp_path / "s.db"
    syn.create_database(path).close()
    code, out, _ = run(
        "sent",
        "--db",
        str(path),
        "--source",
        "spring-sale",
        "--count",
        "500",
        "--date",
        "2026-11-01",
    )
    assert code == 0 and "2026-11-01 spring-sale: 500 sent" in out
    assert (
        run(
            "sent",
            "--db",
            str(path),
            "--source",
            "spring-sale",
            "--count",
            "120",
            "--date",
            "2026-11-01",
            "--add",
        )[0]
        == 0
    )
    run("sent", "--db", str(path), "--count", "40", "--date", "2026-11-01")
    rows = (
        sqlite3.connect(path)
        .execute("SELECT day, source, count FROM sent ORDER BY source")
        .fetchall()
    )
    assert rows == [("2026-11-01", "", 40), ("2026-11-01", "spring-sale", 620)]
    run(
        "sent", "--db", str(path), "--source", "spring-sale", "--count", "7", "--date", "2026-11-01"
    )
    assert sqlite3.connect(path).execute(
        "SELECT count FROM sent WHERE source = 'spring-sale'"
    ).fetchone() == (7,)


def test_sent_rejects_negative_counts_and_bad_dates(tmp_path: Path):
    path = tmp_path / "s.db"
    syn.create_database(path).close()
    assert run("sent", "--db", str(path), "--count", "-3")[0] == 2
    assert run("sent", "--db", str(path), "--count", "3", "--date", "20/11/2026")[0] == 2


def test_report_json_has_rows_totals_and_findings(db: Path):
    code, out, _ = run("report", "--db", str(db), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["by"] == "day" and data["since"] is None
    spike = next(r for r in data["rows"] if r["day"] == str(syn.SPIKE_DAY))
    assert (
        spike["hard"] == 115
        and spike["sent"] == 1100
        and spike["hard_pct"] == pytest.approx(10.455)
    )
    assert spike["over"] == ["hard", "complaint"]
    assert data["totals"]["sent"] == 33000 and data["totals"]["complaint"] == 60
    assert {f["kind"] for f in data["findings"]} == {
        "rate_over",
        "spike",
        "blocks_rising",
        "throttled_domain",
        "bad_source",
        "re_engage",
    }
    assert data["thresholds"]["hard_limit_pct"] == 2.0


def test_report_by_source_as_csv(db: Path):
    code, out, _ = run("report", "--db", str(db), "--by", "source", "--csv")
    assert code == 0
    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"newsletter", "purchased"}
    assert rows["purchased"]["hard"] == "150" and rows["purchased"]["sent"] == "3000"
    assert float(rows["purchased"]["hard_pct"]) == 5.0 and rows["purchased"]["over"] == "hard"
    assert rows["newsletter"]["over"] == "complaint"


def test_report_table_marks_thresholds_and_prints_findings(db: Path):
    code, out, _ = run("report", "--db", str(db), "--by", "week")
    assert code == 0
    assert "total" in out and "33,000" in out
    assert "! over the rate senders keep under: hard 2%, soft 5%, complaint 0.1%" in out
    assert "Findings (6):" in out
    assert "[throttled_domain] throttle.example.org" in out
    assert "what to do: Slow down for throttle.example.org" in out
    code, out, _ = run("report", "--db", str(db), "--by", "source", "--no-findings")
    line = next(x for x in out.splitlines() if x.startswith("purchased"))
    assert "5.00%!" in line
    assert "Findings" not in out  # not even "Findings: none."


def test_the_text_report_opens_with_the_period_totals_and_findings(db: Path):
    code, out, _ = run("report", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "bouncewatch report: 2026-10-11 to 2026-11-20, 41 days, by day"
    assert lines[2] == "Totals: 33,000 sent; 1,044 bounces"
    assert (
        lines[3] == "  hard 551 (1.67%), soft 411 (1.25%), block 82 (0.25%), complaint 60 (0.18%!)"
    )
    assert out.index("Findings (6):") < out.index("day ") < out.index("total ")
    days = [x.split()[0] for x in lines if re.match(r"\d{4}-\d\d-\d\d ", x)]
    # only days with activity: 2026-10-12 … 2026-10-20 had nothing
    assert days[:3] == ["2026-10-11", "2026-10-21", "2026-10-22"] and len(days) == 32
    assert "(9 days without activity not shown)" in out


def test_finding_text_is_labelled_and_has_no_unknowns(db: Path):
    _, out, _ = run("report", "--db", str(db))
    findings = out[out.index("Findings") : out.index("\nday ")]
    assert "None" not in findings and "=" not in findings.replace(" = ", "")
    flat = " ".join(findings.split())
    assert "that day: 129 bounces (hard 115, soft 12, block 2) of 1,100 sent = 11.73%" in flat
    assert "usually: median rate of the 7 sending days before: 2.91%" in flat
    assert "hard rate: 150 hard of 3,000 sent = 5.00%" in flat
    assert "said: 12× 550 5.7.26 Unauthenticated email" in flat


def test_a_spike_over_days_without_bounces_names_no_factor(tmp_path: Path):
    path = tmp_path / "quiet.db"
    conn = syn.create_database(path)
    history = syn.History()
    history.bounce("2026-11-01", "only@example.org", "mailbox_full")
    history.bounce("2026-11-09", "x@burst.example.net", count=294)
    history.write(conn)
    conn.close()
    code, out, _ = run("report", "--db", str(path))
    assert code == 0
    spike = next(x for x in out.splitlines() if x.startswith("* [spike]"))
    assert spike == "* [spike] 2026-11-09: 294 bounces, none on the 7 days before"
    assert "×" not in out and "None" not in out and "0.0" not in out
    assert "usually: none on the 7 days before" in " ".join(out.split())
    data = json.loads(run("report", "--db", str(path), "--json")[1])
    assert data["findings"][0]["evidence"]["baseline"] == 0  # the JSON keeps its numbers


def test_a_long_range_shows_weekly_rows_unless_days_are_asked_for(tmp_path: Path):
    path = tmp_path / "year.db"
    conn = syn.create_database(path)
    syn.write_events(conn, syn.random_events(3000, days=200, end=syn.END))
    conn.close()
    _, out, _ = run("report", "--db", str(path), "--no-findings")
    assert out.splitlines()[0].endswith(", by week")
    assert "\nweek " in out and len(out.splitlines()) < 45
    _, out, _ = run("report", "--db", str(path), "--no-findings", "--by", "day")
    assert "\nday " in out
    data = json.loads(run("report", "--db", str(path), "--json", "--no-findings")[1])
    assert data["by"] == "day"  # machine output keeps its default


def test_an_inverted_date_range_is_a_usage_error(db: Path):
    code, out, err = run(
        "report", "--db", str(db), "--since", "2026-11-10", "--until", "2026-11-01"
    )
    assert code == 2 and out == ""
    assert "is not before --until" in err
    code, _, _ = run("report", "--db", str(db), "--since", "2026-11-10", "--until", "2026-11-10")
    assert code == 0  # a bare --until date includes that day


def test_report_by_domain_with_limit(db: Path):
    code, out, _ = run(
        "report", "--db", str(db), "--by", "domain", "--limit", "2", "--json", "--no-findings"
    )
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [r["domain"] for r in rows] == ["steady.example.com", "spike.example.net"]
    assert rows[1]["hard"] == 100 and rows[1]["addresses"] == 100


def test_report_period_and_thresholds_options(db: Path):
    day = str(syn.SPIKE_DAY)
    code, out, _ = run("report", "--db", str(db), "--since", day, "--until", day, "--json")
    assert code == 0
    data = json.loads(out)
    assert [r["day"] for r in data["rows"]] == [day]
    assert [f["kind"] for f in data["findings"] if f["kind"] == "spike"] == ["spike"]
    code, out, _ = run(
        "report",
        "--db",
        str(db),
        "--json",
        "--threshold",
        "spike_factor=5",
        "--threshold",
        "spike-baseline-days=5",
    )
    assert code == 0
    data = json.loads(out)
    assert (
        data["thresholds"]["spike_factor"] == 5.0 and data["thresholds"]["spike_baseline_days"] == 5
    )
    assert "spike" not in {f["kind"] for f in data["findings"]}


def test_report_database_from_the_environment(db: Path):
    code, out, _ = run("report", "--by", "source", "--csv", env={"BOUNCEWATCH_DB": str(db)})
    assert code == 0 and "purchased" in out


def test_report_errors_are_one_line_messages(db: Path, tmp_path: Path):
    code, _, err = run("report", "--db", str(tmp_path / "missing.db"))
    assert code == 1 and "no such database" in err
    assert not (tmp_path / "missing.db").exists()
    code, _, err = run("report", "--db", str(db), "--threshold", "nonsense=1")
    assert code == 2 and "unknown threshold 'nonsense'" in err
    code, _, err = run("report", "--db", str(db), "--since", "yesterday-ish")
    assert code == 2 and "not a date" in err
    code, _, err = run("report", "--db", str(db), "--json", "--csv")
    assert code == 2 and "choose one of" in err


def test_report_writes_datasette_metadata_for_the_database_name(tmp_path: Path):
    path = tmp_path / "bounces-prod.db"
    syn.create_database(path).close()
    target = tmp_path / "meta.json"
    code, _, err = run("report", "--db", str(path), "--datasette", str(target))
    assert code == 0 and f"-m {target}" in err
    meta = json.loads(target.read_text())
    assert list(meta["databases"]) == ["bounces-prod"]
    assert "daily" in meta["databases"]["bounces-prod"]["queries"]


def test_report_html_option_writes_the_page(db: Path, tmp_path: Path):
    page = tmp_path / "report.html"
    code, _, err = run("report", "--db", str(db), "--html", str(page))
    assert code == 0 and f"wrote {page}" in err
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "throttle.example.org" in text


def test_rate_limits_move_the_marks_everywhere(db: Path):
    code, out, _ = run(
        "report", "--db", str(db), "--by", "source", "--csv", "--threshold", "hard_limit_pct=1"
    )
    assert code == 0
    rows = {r["source"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["newsletter"]["over"] == "hard;complaint"  # 1.34 % is over 1 %
    code, out, _ = run(
        "report", "--db", str(db), "--by", "source", "--threshold", "hard_limit_pct=1"
    )
    assert "1.34%!" in out and "hard 1%" in out
    data = json.loads(
        run("report", "--db", str(db), "--json", "--threshold", "hard_limit_pct=1")[1]
    )
    assert data["totals"]["over"] == ["hard", "complaint"]
    assert "hard" in {f["subject"] for f in data["findings"] if f["kind"] == "rate_over"}
