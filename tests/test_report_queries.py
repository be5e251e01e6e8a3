"""Report queries and SQL views over generated histories, checked against counts done in Python."""

from __future__ import annotations

import itertools
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import synthetic as syn

from bouncewatch.reports import queries as q
from bouncewatch.reports.report import build_report, parse_moment
from bouncewatch.store import Store


@pytest.fixture
def month(tmp_path: Path) -> tuple[sqlite3.Connection, syn.History]:
    history = syn.month_with_findings()
    conn = syn.create_database(tmp_path / "bouncewatch.db")
    history.write(conn)
    yield conn, history
    conn.close()


def _counts(stats: q.Stats) -> dict[str, int]:
    return {name: getattr(stats, name) for name in syn.COUNTED}


def _day(e: tuple) -> str:
    return e[syn.OCCURRED][:10]


def test_by_day_matches_the_history_and_fills_quiet_days(month):
    conn, history = month
    expected = syn.tally(history.events, _day)
    rows = q.by_day(conn, q.Period())
    first, last = date.fromisoformat(min(expected)), date.fromisoformat(max(expected))
    assert [r.key for r in rows] == [
        str(first + timedelta(n)) for n in range((last - first).days + 1)
    ]
    for row in rows:
        assert _counts(row) == expected.get(row.key, dict.fromkeys(syn.COUNTED, 0)), row.key
        sent = sum(n for (d, _), n in history.sent_counts.items() if d == row.key)
        assert row.sent == (sent or None)


def test_by_week_sums_days_into_iso_weeks(month):
    conn, history = month
    expected = syn.tally(history.events, lambda e: q.week_of(_day(e)))
    rows = q.by_week(conn, q.Period())
    keys = [r.key for r in rows]
    assert set(expected) <= set(keys) and keys == sorted(keys)
    for row in rows:
        assert date.fromisoformat(row.key).weekday() == 0  # Mondays
        assert _counts(row) == expected.get(row.key, dict.fromkeys(syn.COUNTED, 0))
    # quiet weeks in between are there, with zeros
    assert all(
        date.fromisoformat(b) - date.fromisoformat(a) == timedelta(7)
        for a, b in itertools.pairwise(keys)
    )
    assert sum(r.sent or 0 for r in rows) == sum(history.sent_counts.values())


def test_by_domain_counts_addresses_and_orders_by_bounces(month):
    conn, history = month
    expected = syn.tally(history.events, lambda e: e[syn.DOMAIN])
    rows = q.by_domain(conn, q.Period())
    assert [r.key for r in rows] == sorted(
        expected, key=lambda d: (-expected[d]["bounces"], -expected[d]["complaint"], d)
    )
    for row in rows:
        assert _counts(row) == expected[row.key]
        bouncing = {e[0] for e in history.events if e[syn.DOMAIN] == row.key and e[2] == "bounce"}
        assert row.addresses == len(bouncing)
        assert row.sent is None
    assert [r.key for r in q.by_domain(conn, q.Period(), limit=2)] == [r.key for r in rows[:2]]


def test_by_source_gives_rates_and_marks_the_thresholds(month):
    conn, history = month
    expected = syn.tally(history.events, lambda e: e[syn.SOURCE] or "")
    rows = {r.key: r for r in q.by_source(conn, q.Period())}
    assert set(rows) == set(expected)
    for key, row in rows.items():
        assert _counts(row) == expected[key]
        assert row.sent == sum(n for (_, s), n in history.sent_counts.items() if s == key)
    purchased, newsletter = rows["purchased"], rows["newsletter"]
    assert purchased.hard_pct == pytest.approx(100 * purchased.hard / purchased.sent)
    assert purchased.hard_pct >= 2.0 and "hard" in purchased.over
    assert newsletter.hard_pct < 2.0 and "hard" not in newsletter.over
    assert newsletter.complaint_pct >= 0.1 and "complaint" in newsletter.over
    assert "soft" not in newsletter.over


def test_period_is_half_open_and_a_bare_until_date_includes_that_day(month):
    conn, history = month
    spike = str(syn.SPIKE_DAY)
    period = q.Period(parse_moment(spike), parse_moment(spike, end=True))
    rows = q.by_day(conn, period)
    assert [r.key for r in rows] == [spike]
    assert _counts(rows[0]) == syn.tally(history.events, _day)[spike]
    assert rows[0].sent == 1100
    # an instant bound cuts inside a day: events are at noon
    morning = q.Period(f"{spike}T00:00:00Z", f"{spike}T11:59:59Z")
    assert q.totals(conn, morning).bounces == 0
    assert q.totals(conn, q.Period(f"{spike}T12:00:00Z", f"{spike}T12:00:01Z")).bounces > 0


def test_totals_are_the_sum_of_every_bucketing(month):
    conn, _ = month
    total = q.totals(conn, q.Period())
    for rows in (
        q.by_day(conn, q.Period()),
        q.by_domain(conn, q.Period()),
        q.by_source(conn, q.Period()),
    ):
        assert sum(r.hard for r in rows) == total.hard
        assert sum(r.bounces for r in rows) == total.bounces
        assert sum(r.complaint for r in rows) == total.complaint
    assert total.bounces == total.hard + total.soft + total.block + total.undetermined


def test_views_agree_with_the_queries(month):
    conn, _ = month
    conn.row_factory = sqlite3.Row
    daily = {r["day"]: r for r in conn.execute("SELECT * FROM daily_stats")}
    for row in q.by_day(conn, q.Period(), fill=False):
        view = daily.pop(row.key)
        assert {n: view[n] for n in syn.COUNTED} == _counts(row)
        assert view["sent"] == row.sent
        if row.sent:
            assert view["hard_pct"] == pytest.approx(row.hard_pct, abs=0.001)
            assert view["hard_over"] == int("hard" in row.over)
    assert not daily
    domains = list(conn.execute("SELECT * FROM domain_stats"))
    assert [r["domain"] for r in domains] == [r.key for r in q.by_domain(conn, q.Period())]
    throttle = next(r for r in domains if r["domain"] == "throttle.example.org")
    assert (throttle["rate_limited"], throttle["greylisted"], throttle["soft"]) == (30, 15, 55)
    assert throttle["throttled_pct"] == pytest.approx(100 * 45 / 55, abs=0.1)
    sources = {r["source"]: r for r in conn.execute("SELECT * FROM source_stats")}
    for row in q.by_source(conn, q.Period()):
        view = sources[row.key]
        assert {n: view[n] for n in syn.COUNTED} == _counts(row)
        assert view["hard_share_pct"] == pytest.approx(100 * row.hard / row.bounces, abs=0.1)
    assert sources["purchased"]["hard_over"] == 1


def test_the_store_creates_the_report_views(tmp_path: Path):
    Store.open(tmp_path / "x.db").close()
    conn = sqlite3.connect(tmp_path / "x.db")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert {"daily_stats", "domain_stats", "source_stats"} <= names
    assert conn.execute("SELECT count(*) FROM daily_stats").fetchone() == (0,)


def test_delivered_and_auto_replies_never_count_and_delays_are_not_bounces(tmp_path: Path):
    conn = syn.create_database(tmp_path / "b.db")
    h = syn.History()
    h.bounce(
        "2026-11-01", "a@x.example.org", "delivered", bounce_type="none", event_type="delivered"
    )
    h.bounce(
        "2026-11-01", "b@x.example.org", "auto_reply", bounce_type="none", event_type="auto_reply"
    )
    h.bounce("2026-11-01", "c@x.example.org", "delayed", count=3)
    h.bounce("2026-11-01", "d@x.example.org", "unknown")
    h.bounce("2026-11-02", "e@x.example.org", "complaint")
    h.write(conn)
    total = q.totals(conn, q.Period())
    assert _counts(total) == {
        "bounces": 1,
        "hard": 0,
        "soft": 0,
        "block": 0,
        "complaint": 1,
        "undetermined": 1,
        "delayed": 3,
    }
    assert total.sent is None and total.hard_pct is None and total.over == ()


def test_an_empty_database_reports_nothing(tmp_path: Path):
    conn = syn.create_database(tmp_path / "empty.db")
    for by in ("day", "week", "domain", "source"):
        rep = build_report(conn, q.Period(), by=by)
        assert rep.rows == [] and rep.findings == [] and rep.totals.bounces == 0


def test_sent_days_without_bounces_still_appear(tmp_path: Path):
    conn = syn.create_database(tmp_path / "s.db")
    syn.History().sent("2026-11-03", 500, "newsletter").bounce(
        "2026-11-01", "a@x.example.org"
    ).write(conn)
    rows = q.by_day(conn, q.Period())
    assert [(r.key, r.hard, r.sent) for r in rows] == [
        ("2026-11-01", 1, None),
        ("2026-11-02", 0, None),
        ("2026-11-03", 0, 500),
    ]
    assert rows[2].hard_pct == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_match_python_counts(tmp_path: Path, seed: int):
    conn = syn.create_database(tmp_path / "r.db")
    events = syn.random_events(3000, days=40, end=date(2026, 11, 20), seed=seed)
    syn.write_events(conn, events)
    period = q.Period("2026-10-20T00:00:00Z", "2026-11-10T00:00:00Z")
    inside = [e for e in events if period.since <= e[syn.OCCURRED] < period.until]
    for rows, key in (
        (q.by_day(conn, period, fill=False), _day),
        (q.by_domain(conn, period), lambda e: e[syn.DOMAIN]),
        (q.by_source(conn, period), lambda e: e[syn.SOURCE] or ""),
    ):
        expected = syn.tally(inside, key)
        assert {r.key: _counts(r) for r in rows} == expected


def test_parse_moment_forms():
    now = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    assert parse_moment("2026-11-20") == "2026-11-20T00:00:00Z"
    assert parse_moment("2026-11-20", end=True) == "2026-11-21T00:00:00Z"
    assert parse_moment("2026-11-20T08:15:00Z") == "2026-11-20T08:15:00Z"
    assert parse_moment("2026-11-20T09:15:00+01:00") == "2026-11-20T08:15:00Z"
    assert parse_moment("7d", now=now) == "2026-11-16T10:30:00Z"
    assert parse_moment("12h", now=now) == "2026-11-22T22:30:00Z"
    assert parse_moment("2w", now=now) == "2026-11-09T10:30:00Z"
    with pytest.raises(ValueError, match="not a date"):
        parse_moment("last tuesday")


def test_diagnostics_are_grouped_with_the_recipient_masked(month):
    conn, _ = month
    top = q.top_values(
        conn, "diagnostic", q.Period(), domain="throttle.example.org", bounce_types=("soft",)
    )
    grey = [c for c in top if "Greylisted" in (c.value or "")]
    assert len(grey) == 1 and grey[0].count == 15
    assert "<*@throttle.example.org>" in grey[0].value
    assert (
        q.mask_addresses("550 5.1.1 first.last+tag@example.com unknown")
        == "550 5.1.1 *@example.com unknown"
    )
    with pytest.raises(ValueError):
        q.top_values(conn, "address; DROP TABLE events", q.Period())
