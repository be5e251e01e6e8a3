"""The address policy, rule by rule: a pure function, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bouncewatch.config import PolicyConfig
from bouncewatch.store.policy import (
    AddressStatus,
    Decision,
    PolicyEvent,
    apply,
    expire,
    is_consistent,
    manual_reset,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
P = PolicyConfig()


def run(events: list[tuple[timedelta, str, str]], policy: PolicyConfig = P, own: bool = False):
    """Replay (offset, event_type, bounce_type); return the final status and all rules."""
    st = AddressStatus(since=T0)
    rules: list[str] = []
    for offset, event_type, bounce_type in events:
        d: Decision = apply(st, PolicyEvent(event_type, bounce_type, T0 + offset, own), policy)
        assert not is_consistent(d.status, policy)
        rules += [c.rule for c in d.changes]
        st = d.status
    return st, rules


def soft(day: float, btype: str = "soft") -> tuple[timedelta, str, str]:
    return (day * DAY, "bounce", btype)


def test_hard_bounce_invalidates_at_once() -> None:
    st, rules = run([soft(0, "hard")])
    assert st.state == "invalid" and rules == ["hard_bounce"] and st.hard_count == 1


def test_two_hard_confirmations_need_two_days() -> None:
    p = PolicyConfig(hard_confirmations=2)
    st, rules = run([soft(0, "hard"), soft(0.1, "hard")], p)
    assert st.state == "soft_bouncing" and rules == ["hard_unconfirmed"]
    st, rules = run([soft(0, "hard"), soft(0.1, "hard"), soft(1, "hard")], p)
    assert st.state == "invalid" and rules == ["hard_unconfirmed", "hard_confirmed"]
    assert st.hard_count == 3


def test_unconfirmed_hard_bounce_decays() -> None:
    p = PolicyConfig(hard_confirmations=2)
    st, rules = run([soft(0, "hard"), soft(20, "hard")], p)
    assert rules == ["hard_unconfirmed", "soft_decayed", "hard_unconfirmed"]
    assert st.state == "soft_bouncing"


def test_soft_threshold_suspends_and_suspension_expires() -> None:
    st, rules = run([soft(0), soft(1), soft(2)])
    assert rules == ["soft_bounce", "soft_threshold"]
    assert st.state == "suspended" and st.suspended_until == T0 + 2 * DAY + P.suspend_for
    d = expire(st, T0 + 40 * DAY, P)
    assert d.status.state == "active"
    assert [(c.rule, c.at) for c in d.changes] == [("suspension_expired", st.suspended_until)]


def test_one_soft_bounce_per_day_counts() -> None:
    # a burst of retries in one afternoon, and a message listing the address twice
    st, rules = run([soft(0), soft(0.01), soft(0.02), soft(0.2), soft(0.3)])
    assert st.state == "soft_bouncing" and len(st.soft_days) == 1 and st.soft_count == 5
    assert rules == ["soft_bounce"]


def test_soft_bounces_outside_the_window_decay() -> None:
    st, rules = run([soft(0), soft(10), soft(30)])
    assert st.state == "soft_bouncing" and len(st.soft_days) == 1
    assert rules == ["soft_bounce", "soft_decayed", "soft_bounce"]
    st, rules = run([soft(0), soft(10), soft(20)])  # 0 has left the 14-day window at day 20
    assert st.state == "soft_bouncing" and len(st.soft_days) == 2


def test_delivered_resets_the_count() -> None:
    st, rules = run([soft(0), soft(1), (1.5 * DAY, "delivered", "none"), soft(2)])
    assert st.state == "soft_bouncing" and len(st.soft_days) == 1
    assert rules == ["soft_bounce", "delivered", "soft_bounce"]
    p = PolicyConfig(delivered_resets=False)
    st, _ = run([soft(0), soft(1), (1.5 * DAY, "delivered", "none"), soft(2)], p)
    assert st.state == "suspended"


def test_delivered_ends_a_suspension_but_not_invalid() -> None:
    st, rules = run([soft(0), soft(1), soft(2), (3 * DAY, "delivered", "none")])
    assert st.state == "active" and rules[-1] == "delivered"
    st, _ = run([soft(0, "hard"), (1 * DAY, "delivered", "none")])
    assert st.state == "invalid"


def test_max_suspensions_then_invalid() -> None:
    events, day = [], 0.0
    for _ in range(3):  # three suspensions, each followed by bounces right after it ends
        events += [soft(day), soft(day + 1), soft(day + 2)]
        day += 2 + 30 + 1
    events += [soft(day), soft(day + 1), soft(day + 2)]
    st, rules = run(events)
    assert rules.count("soft_threshold") == 3
    assert rules[-1] == "max_suspensions" and st.state == "invalid"


def test_quiet_window_after_a_suspension_starts_a_new_episode() -> None:
    events = [soft(0), soft(1), soft(2)]  # suspended until day 32
    events += [soft(60), soft(61), soft(62)]  # 28 quiet days after the suspension ended
    st, _ = run(events)
    assert st.state == "suspended" and st.suspensions == 1


def test_soft_to_hard_after_a_long_episode() -> None:
    p = PolicyConfig(soft_threshold=100, soft_to_hard_after=timedelta(days=60))
    events = [soft(d) for d in range(0, 70, 7)]  # a soft bounce every week for ten weeks
    st, rules = run(events, p)
    assert st.state == "invalid" and rules[-1] == "soft_to_hard"


def test_block_bounces_count_unless_configured_not_to() -> None:
    st, _ = run([soft(0, "block"), soft(1, "block"), soft(2, "block")])
    assert st.state == "suspended" and st.block_count == 3 and st.soft_count == 0
    st, rules = run(
        [soft(0, "block"), soft(1, "block"), soft(2, "block")], PolicyConfig(count_blocks=False)
    )
    assert st.state == "active" and rules == [] and st.block_count == 3


def test_complaint_is_permanent_and_configurable() -> None:
    st, rules = run([(0 * DAY, "complaint", "complaint"), (1 * DAY, "delivered", "none")])
    assert st.state == "complained" and rules == ["complaint"]
    st, rules = run([(0 * DAY, "bounce", "hard"), (1 * DAY, "complaint", "complaint")])
    assert rules == ["hard_bounce", "complaint"]
    st, rules = run([(0 * DAY, "complaint", "complaint")], PolicyConfig(complaints_suppress=False))
    assert st.state == "active" and rules == []


def test_delayed_and_auto_replies_change_nothing() -> None:
    st, rules = run([(0 * DAY, "delayed", "none"), (DAY, "auto_reply", "none")])
    assert st.state == "active" and rules == [] and st.soft_count == 0


def test_own_addresses_are_counted_but_never_suppressed() -> None:
    st, rules = run(
        [soft(0, "hard"), soft(1), soft(2), soft(3), (4 * DAY, "complaint", "complaint")], own=True
    )
    assert st.state == "active" and rules == []
    assert st.hard_count == 1 and st.soft_count == 3


def test_late_soft_bounces_for_a_suspended_address_do_not_count() -> None:
    st, _ = run([soft(0), soft(1), soft(2), soft(3), soft(4)])
    assert st.state == "suspended" and st.soft_days == () and st.soft_count == 5


def test_manual_reset_records_a_change() -> None:
    st, _ = run([soft(0, "hard")])
    d = manual_reset(st, T0 + DAY)
    assert d.status.state == "active" and d.status.hard_count == 1
    assert [(c.from_state, c.to_state, c.rule) for c in d.changes] == [
        ("invalid", "active", "manual_reset")
    ]


def test_thresholds_come_from_the_config() -> None:
    p = PolicyConfig(soft_threshold=5, soft_window=timedelta(days=3), suspend_for=timedelta(days=2))
    st, _ = run([soft(d) for d in range(5)], p)
    assert st.state == "soft_bouncing"  # never five within three days
    st, _ = run([soft(d) for d in range(5)], PolicyConfig(soft_threshold=5))
    assert st.state == "suspended" and st.suspended_until == T0 + 4 * DAY + P.suspend_for


def test_unconfirmed_hard_bounce_decays_soon_after_a_suspension_ended() -> None:
    """Regression: an address suspended, delivered to, then hard-bounced once (confirmations
    = 2) stayed soft_bouncing with nothing left to count once the hard bounce decayed, because
    the decay waited a whole window after the old suspension's end."""
    p = PolicyConfig(
        hard_confirmations=2,
        soft_threshold=1,
        soft_window=DAY,
        suspend_for=DAY,
        count_blocks=False,
    )
    st, rules = run(
        [soft(0), (timedelta(0), "delivered", "none"), soft(0, "hard"), soft(1.00002, "block")],
        p,
    )
    assert rules == ["soft_threshold", "delivered", "hard_unconfirmed", "soft_decayed"]
    assert st.state == "active"
