"""The Datasette metadata: every canned query runs on a real database and gives the right rows."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import synthetic as syn

from bouncewatch.reports import queries as q
from bouncewatch.reports.datasette import CANNED_QUERIES, metadata, metadata_json

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("ds") / "bouncewatch.db"
    c = syn.create_database(path)
    syn.month_with_findings().write(c)
    now = datetime.now(UTC)
    old = (now - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = (now - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        ("full@slow.example.com", "soft_bouncing", old, None),
        ("new@slow.example.com", "soft_bouncing", recent, None),
        ("gone@slow.example.com", "invalid", None, None),
        ("angry0@steady.example.com", "complained", None, None),
    ]
    for address, state, soft_since, until in rows:
        c.execute(
            "INSERT INTO addresses(address, domain, state, state_since, suspended_until,"
            " soft_since, soft_count, last_reason, first_seen_at, last_seen_at)"
            " VALUES (?, 'slow.example.com', ?, ?, ?, ?, 5, 'mailbox_full', ?, ?)",
            (address, state, recent, until, soft_since, old, recent),
        )
    c.execute(
        "INSERT INTO state_changes(address, from_state, to_state, rule, changed_at)"
        " VALUES ('gone@slow.example.com', 'soft_bouncing', 'invalid', 'hard', ?)",
        (f"{syn.END}T13:00:00Z",),
    )
    c.commit()
    c.row_factory = sqlite3.Row
    return c


def run(conn: sqlite3.Connection, name: str, **params: str) -> list[sqlite3.Row]:
    query = CANNED_QUERIES[name]
    values = dict.fromkeys(query.get("params", []), "") | params
    return conn.execute(query["sql"], values).fetchall()


def test_the_checked_in_file_is_the_generated_metadata():
    path = REPO / "datasette" / "metadata.json"
    assert path.read_text(encoding="utf-8") == metadata_json("bouncewatch")
    assert json.loads(path.read_text())["databases"]["bouncewatch"]["queries"] == CANNED_QUERIES
    assert list(metadata("other")["databases"]) == ["other"]


def test_no_query_shadows_a_table_or_view(conn):
    # Datasette serves a canned query at /db/<name>: one named like a view hides the view's page
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert not names & set(CANNED_QUERIES)


@pytest.mark.parametrize("name", sorted(CANNED_QUERIES))
def test_every_query_declares_its_parameters_and_runs(conn, name):
    query = CANNED_QUERIES[name]
    assert query["title"] and query["description"]
    used = set(re.findall(r"(?<!:):(\w+)", query["sql"]))
    assert used == set(query.get("params", []))
    cursor = conn.execute(query["sql"], dict.fromkeys(used, ""))
    assert cursor.description  # returns columns even when no row matches


def test_daily_and_weekly(conn):
    rows = run(conn, "daily")
    assert rows[0]["day"] == str(syn.END)  # newest first
    assert sum(r["hard"] for r in rows) == q.totals(conn, q.Period()).hard
    spike = next(r for r in rows if r["day"] == str(syn.SPIKE_DAY))
    assert (spike["hard"], spike["sent"], spike["hard_over"]) == (115, 1100, 1)
    window = run(conn, "daily", since=str(syn.SPIKE_DAY), until=str(syn.SPIKE_DAY + timedelta(1)))
    assert [r["day"] for r in window] == [str(syn.SPIKE_DAY)]
    weeks = run(conn, "weekly")
    assert {r["week"] for r in weeks} == {
        s.key for s in q.by_week(conn, q.Period()) if s.bounces or s.sent
    }
    assert sum(r["sent"] or 0 for r in weeks) == 33000


def test_domains_throttling_and_blocks(conn):
    domains = run(conn, "domains")
    expected = q.by_domain(conn, q.Period())
    assert [(r["domain"], r["hard"], r["soft"], r["block"]) for r in domains] == [
        (s.key, s.hard, s.soft, s.block) for s in expected
    ]
    throttle = next(r for r in domains if r["domain"] == "throttle.example.org")
    assert throttle["throttled_pct"] == pytest.approx(81.8)
    assert [r["domain"] for r in run(conn, "throttled_domains")] == ["throttle.example.org"]
    blocks = run(conn, "block_diagnostics", domain="blocky.example.net")
    assert [(r["reason"], r["blocks"]) for r in blocks] == [("auth_failure", 12), ("blocked", 10)]
    assert "DMARC" in blocks[0]["diagnostic"]


def test_sources_re_engagement_suppressed_and_history(conn):
    sources = run(conn, "sources")
    assert sources[0]["source"] == "purchased" and sources[0]["hard_share_pct"] == 100.0
    assert [r["address"] for r in run(conn, "re_engagement")] == ["full@slow.example.com"]
    assert {r["address"] for r in run(conn, "suppression_list")} == {
        "gone@slow.example.com",
        "angry0@steady.example.com",
    }
    hard = run(conn, "recent_hard")
    assert len(hard) == 200 and hard[0]["address"] == "gone@slow.example.com"
    story = run(conn, "address_history", address="GONE@slow.example.com")
    assert [r["what"] for r in story] == ["event"] * 6 + ["state"]
    assert story[-1]["kind"] == "soft_bouncing -> invalid"
