"""The per-message parse-time budget: checked between detectors (each linear in its input,
reading bounded fields), a message past it is a not_bounce with a ParseTimeout error, which
ingest records and quarantines (never retried in a loop)."""

from __future__ import annotations

from dataclasses import replace

from conftest import DEMO_MAIL

from bouncewatch.analyze import analyze
from bouncewatch.ingest import QUARANTINE_OUTCOMES
from bouncewatch.model import DEFAULT_PARSE_OPTIONS
from bouncewatch.store.recorder import outcome_for

BOUNCE = (DEMO_MAIL / "01-gmail-user-unknown.eml").read_bytes()


def test_a_message_past_its_budget_is_a_not_bounce_with_the_reason() -> None:
    result = analyze(BOUNCE, replace(DEFAULT_PARSE_OPTIONS, time_budget=0.0))
    assert (result.kind, result.recipients) == ("not_bounce", ())
    assert result.error is not None and result.error.startswith("ParseTimeout:")
    assert "time budget" in result.error
    assert outcome_for(result) in QUARANTINE_OUTCOMES


def test_within_the_budget_nothing_changes() -> None:
    budgeted = analyze(BOUNCE, DEFAULT_PARSE_OPTIONS)
    unbounded = analyze(BOUNCE, replace(DEFAULT_PARSE_OPTIONS, time_budget=None))
    assert DEFAULT_PARSE_OPTIONS.time_budget == 10.0
    assert budgeted == unbounded
    assert budgeted.kind == "dsn" and budgeted.recipients
