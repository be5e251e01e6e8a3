"""Replay of random bounce histories through the policy (hypothesis).

Whatever the sequence, the address is never in an impossible state, the counts agree with the
events, every change is a real transition, and final states are only left by a manual reset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.config import PolicyConfig
from bouncewatch.store.policy import AddressStatus, PolicyEvent, apply, expire, is_consistent

T0 = datetime(2026, 1, 1, tzinfo=UTC)

EVENTS = st.sampled_from(
    [
        ("bounce", "hard"),
        ("bounce", "soft"),
        ("bounce", "block"),
        ("bounce", "undetermined"),
        ("bounce", "none"),
        ("complaint", "complaint"),
        ("delayed", "none"),
        ("delivered", "none"),
        ("auto_reply", "none"),
    ]
)
STEPS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=20 * 24 * 3600), EVENTS, st.booleans()),
    max_size=60,
)
POLICIES = st.builds(
    PolicyConfig,
    hard_confirmations=st.integers(1, 2),
    soft_threshold=st.integers(1, 5),
    soft_window=st.integers(1, 30).map(lambda d: timedelta(days=d)),
    suspend_for=st.integers(1, 60).map(lambda d: timedelta(days=d)),
    soft_to_hard_after=st.integers(1, 200).map(lambda d: timedelta(days=d)),
    max_suspensions=st.integers(1, 4),
    count_blocks=st.booleans(),
    complaints_suppress=st.booleans(),
    delivered_resets=st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(steps=STEPS, policy=POLICIES, own=st.booleans())
def test_no_history_leaves_an_impossible_state(steps, policy: PolicyConfig, own: bool) -> None:
    status, now = AddressStatus(since=T0), T0
    tally = {"hard": 0, "soft": 0, "block": 0}
    for gap, (event_type, bounce_type), run_expiry in steps:
        now += timedelta(seconds=gap)
        if run_expiry:  # the daemon's pass may or may not run between two events
            d = expire(status, now, policy)
            for c in d.changes:
                assert c.rule in ("suspension_expired", "soft_decayed")
                assert c.to_state == "active"
            status = d.status
        before = status.state
        d = apply(status, PolicyEvent(event_type, bounce_type, now, own), policy)
        status = d.status
        if event_type == "bounce":
            key = "soft" if bounce_type in ("soft", "undetermined") else bounce_type
            if key in tally:
                tally[key] += 1
        assert is_consistent(status, policy) == []
        states = [before] + [c.to_state for c in d.changes]
        for c, prev in zip(d.changes, states, strict=False):
            assert c.from_state == prev and c.from_state != c.to_state
            assert c.at <= now
        assert status.state == states[-1]
        if before in ("invalid", "complained"):
            allowed = {before, "complained"}
            assert status.state in allowed  # only a complaint moves on from invalid
        if own:
            assert status.state == "active" and not d.changes
        if status.state == "complained":
            assert policy.complaints_suppress
        if status.state == "suspended":
            assert status.suspended_until is not None and status.suspended_until > now
    assert (status.hard_count, status.soft_count, status.block_count) == (
        tally["hard"],
        tally["soft"],
        tally["block"],
    )


@settings(max_examples=200, deadline=None)
@given(days=st.lists(st.integers(0, 400), min_size=1, max_size=80), policy=POLICIES)
def test_soft_bounces_never_suspend_faster_than_one_a_day(days, policy: PolicyConfig) -> None:
    """However many soft bounces arrive, suspension needs `soft_threshold` distinct days."""
    status = AddressStatus(since=T0)
    for i, day in enumerate(sorted(days)):
        at = T0 + timedelta(days=day, seconds=i)
        d = apply(status, PolicyEvent("bounce", "soft", at), policy)
        status = d.status
        if any(c.to_state == "suspended" for c in d.changes):
            window_start = at - policy.soft_window
            distinct = {x for x in sorted(days)[: i + 1] if T0 + timedelta(days=x) > window_start}
            assert len(distinct) >= policy.soft_threshold
