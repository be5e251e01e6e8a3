"""Findings over generated histories whose answers are known by construction."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
import synthetic as syn

from bouncewatch.reports import findings as fd
from bouncewatch.reports import queries as q

END = syn.END


@pytest.fixture
def month(tmp_path: Path) -> sqlite3.Connection:
    conn = syn.create_database(tmp_path / "bouncewatch.db")
    syn.month_with_findings().write(conn)
    yield conn
    conn.close()


def _find(
    conn: sqlite3.Connection, period: q.Period | None = None, **overrides: object
) -> list[fd.Finding]:
    t = fd.Thresholds.with_overrides({k: str(v) for k, v in overrides.items()})
    return fd.find_all(conn, period or q.Period(), t)


def _by_kind(findings: list[fd.Finding]) -> dict[str, list[fd.Finding]]:
    out: dict[str, list[fd.Finding]] = {}
    for f in findings:
        out.setdefault(f.kind, []).append(f)
    return out


def test_the_month_has_exactly_one_of_each_finding(month):
    found = {(f.kind, f.subject) for f in _find(month)}
    assert found == {
        ("rate_over", "complaint"),
        ("spike", str(syn.SPIKE_DAY)),
        ("blocks_rising", "blocky.example.net"),
        ("throttled_domain", "throttle.example.org"),
        ("bad_source", "purchased"),
        ("re_engage", "1 address"),
    }


def test_spike_evidence(month):
    (spike,) = _by_kind(_find(month))["spike"]
    ev = spike.evidence
    assert ev["measure"] == "rate"  # sent counts known for the day and its baseline
    assert ev["bounces"] == 129 and ev["hard"] == 115 and ev["sent"] == 1100
    assert ev["factor"] >= 3.0
    assert len(ev["baseline_days"]) == 7 and max(ev["baseline_days"]) < str(syn.SPIKE_DAY)
    assert ev["top_domains"][0] == {"value": "spike.example.net", "count": 100}
    assert ev["top_reasons"][0] == {"value": "user_unknown", "count": 115}


def test_spike_factor_is_configurable(month):
    assert "spike" in _by_kind(_find(month, spike_factor=3.9))
    assert "spike" not in _by_kind(_find(month, spike_factor=4.1))
    assert "spike" not in _by_kind(_find(month, spike_min_bounces=130))


def test_spike_by_count_when_nothing_sent_is_known(tmp_path: Path):
    conn = syn.create_database(tmp_path / "c.db")
    h = syn.History()
    for n in range(14):
        h.bounce(END - timedelta(n), f"a{n}@steady.example.com", count=30)
    h.bounce(END - timedelta(3), "b@burst.example.org", count=70)  # 100 that day: 3.3×
    h.write(conn)
    (spike,) = _by_kind(_find(conn))["spike"]
    assert spike.subject == str(END - timedelta(3))
    assert spike.evidence["measure"] == "count" and spike.evidence["baseline"] == 30.0
    assert spike.evidence["factor"] == pytest.approx(100 / 30, abs=0.01)


def test_weekly_campaigns_are_not_spikes_when_sent_is_recorded(tmp_path: Path):
    """Campaign days against campaign days: the quiet days between don't make a baseline."""
    conn = syn.create_database(tmp_path / "w.db")
    h = syn.History()
    for week in range(8):
        day = END - timedelta(7 * week)
        h.sent(day, 10_000, "newsletter").bounce(day, f"w{week}@x.example.org", count=150)
        h.bounce(day + timedelta(1), f"late{week}@x.example.org", "mailbox_full", count=3)
    h.write(conn)
    assert "spike" not in _by_kind(_find(conn))
    # without the sent counts the same days look like spikes
    conn.execute("DELETE FROM sent")
    conn.commit()
    assert len(_by_kind(_find(conn))["spike"]) >= 1


def test_throttled_domain_evidence_and_threshold(month):
    (f,) = _by_kind(_find(month))["throttled_domain"]
    ev = f.evidence
    assert (ev["soft"], ev["rate_limited"], ev["greylisted"]) == (55, 30, 15)
    assert ev["share"] == pytest.approx(45 / 55, abs=0.001)
    assert ev["diagnostics"][0]["count"] == 30 and "4.7.28" in ev["diagnostics"][0]["value"]
    assert "Slow down for throttle.example.org" in f.action
    # calm.example.org has rate limiting too, but mostly full mailboxes: never flagged
    assert "throttled_domain" not in _by_kind(_find(month, throttle_share=0.85))
    everything = _find(month, throttle_share=0.2, throttle_min_soft=5)
    assert {f.subject for f in _by_kind(everything)["throttled_domain"]} == {
        "throttle.example.org",
        "calm.example.org",
    }


def test_blocks_rising_lists_the_diagnostics_and_names_authentication(month):
    (f,) = _by_kind(_find(month))["blocks_rising"]
    ev = f.evidence
    assert (ev["recent"], ev["previous"]) == (20, 2)
    assert ev["likely_cause"] == "authentication (SPF/DKIM/DMARC)"
    assert ev["reasons"] == [
        {"value": "auth_failure", "count": 12},
        {"value": "blocked", "count": 8},
    ]
    assert "DMARC" in ev["diagnostics"][0]["value"] and ev["diagnostics"][0]["count"] == 12
    assert ev["recent_window"] == [
        f"{END - timedelta(6)}T00:00:00Z",
        f"{END + timedelta(1)}T00:00:00Z",
    ]
    # steady.example.com blocks every day (2/day): not rising
    assert "blocks_rising" not in _by_kind(_find(month, block_min=21))
    assert "blocks_rising" not in _by_kind(_find(month, block_factor=11))


def test_blocks_rising_from_reputation(tmp_path: Path):
    conn = syn.create_database(tmp_path / "b.db")
    h = syn.History()
    for n in range(14):
        h.bounce(END - timedelta(n), f"ok{n}@rep.example.com", "blocked", count=1 if n >= 7 else 6)
    h.write(conn)
    (f,) = _by_kind(_find(conn))["blocks_rising"]
    assert (f.evidence["recent"], f.evidence["previous"]) == (42, 7)
    assert f.evidence["likely_cause"] == "reputation or content"
    assert "zen.spamhaus.org" in f.evidence["diagnostics"][0]["value"]


def test_bad_source_by_rate_and_by_share(month):
    (f,) = _by_kind(_find(month))["bad_source"]
    ev = f.evidence
    assert ev["measure"] == "rate" and ev["value"] == 0.05 and ev["hard"] == 150
    assert ev["others_value"] == pytest.approx(401 / 30000, abs=0.0001)
    assert "bad_source" not in _by_kind(_find(month, source_factor=4))
    # without sent counts, the hard share of each source's bounces decides
    month.execute("DELETE FROM sent")
    month.commit()
    (f,) = _by_kind(_find(month))["bad_source"]
    assert f.evidence["measure"] == "share" and f.evidence["value"] == 1.0
    assert f.evidence["others_value"] == pytest.approx(401 / 894, abs=0.0001)


def test_re_engage_lists_long_soft_episodes_only(month):
    (f,) = _by_kind(_find(month))["re_engage"]
    (listed,) = f.evidence["listed"]
    assert listed["address"] == "full@slow.example.com"
    assert listed["soft"] == 5 and listed["last_reason"] == "mailbox_full"
    assert listed["first_at"] == f"{END - timedelta(40)}T12:00:00Z"
    assert "re_engage" not in _by_kind(_find(month, reengage_min_days=41))
    # back@ (delivered in between) qualifies once its shorter episode is long enough
    short = _by_kind(_find(month, reengage_min_days=10, reengage_min_soft=2))["re_engage"][0]
    assert {a["address"] for a in short.evidence["listed"]} == {
        "full@slow.example.com",
        "back@slow.example.com",
    }


def test_re_engage_respects_the_address_state(month):
    month.execute(
        "INSERT INTO addresses(address, domain, state, state_since, first_seen_at, last_seen_at)"
        " VALUES ('full@slow.example.com', 'slow.example.com', 'invalid', ?, ?, ?)",
        (f"{END}T12:00:00Z",) * 3,
    )
    month.commit()
    assert "re_engage" not in _by_kind(_find(month))


def test_a_period_limits_the_findings(month):
    # up to END-10: no spike yet, and full@'s soft bounces then span only 20 days
    before_spike = q.Period(None, f"{END - timedelta(10)}T00:00:00Z")
    kinds = _by_kind(_find(month, before_spike))
    assert "spike" not in kinds and "re_engage" not in kinds and "blocks_rising" not in kinds
    only_spike_day = q.Period(
        f"{syn.SPIKE_DAY}T00:00:00Z", f"{syn.SPIKE_DAY + timedelta(1)}T00:00:00Z"
    )
    assert [f.subject for f in _by_kind(_find(month, only_spike_day))["spike"]] == [
        str(syn.SPIKE_DAY)
    ]


def test_thresholds_overrides_are_typed_and_checked():
    t = fd.Thresholds.with_overrides({"spike_factor": "4.5", "block_min": "7"})
    assert t.spike_factor == 4.5 and t.block_min == 7 and isinstance(t.block_min, int)
    with pytest.raises(ValueError, match="unknown threshold 'spike'"):
        fd.Thresholds.with_overrides({"spike": "2"})
    with pytest.raises(ValueError):
        fd.Thresholds.with_overrides({"block_min": "many"})


def test_random_noise_raises_no_spike_or_block_finding(tmp_path: Path):
    conn = syn.create_database(tmp_path / "n.db")
    syn.write_events(conn, syn.random_events(20_000, days=60, end=date(2026, 11, 20), seed=7))
    kinds = _by_kind(_find(conn))
    assert "spike" not in kinds and "blocks_rising" not in kinds and "bad_source" not in kinds
