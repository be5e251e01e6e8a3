"""`bouncewatch report` and `bouncewatch sent` on a real database file."""

from __future__ import annotations

import csv
import io
import json
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
    assert "Findings: none." in out


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
