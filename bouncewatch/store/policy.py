"""The address policy: a pure state machine (status, event, policy) → decision.

No I/O and no clock: the time of every event is passed in, so a test can replay months of
bounces in a second.  Each transition is returned as a `Change` naming the rule that made it;
the store writes one `state_changes` row per change.

States: active → soft_bouncing → suspended → (expiry) active …; invalid and complained are
final until a manual reset.  Rules (the names recorded in `state_changes.rule`):

- ``hard_bounce``: a hard bounce makes the address invalid (``hard_confirmations = 1``).
- ``hard_unconfirmed`` / ``hard_confirmed``: with ``hard_confirmations = 2`` the first hard
  bounce only marks the address soft_bouncing; a second one on a later day (within
  ``soft_window``) makes it invalid.
- ``soft_bounce``: the first counted soft bounce of an active address.
- ``soft_threshold``: ``soft_threshold`` counted soft bounces within ``soft_window`` suspend the
  address for ``suspend_for``.  At most one soft bounce per address per day counts.
- ``max_suspensions``: reaching the threshold again after ``max_suspensions`` suspensions.
- ``soft_to_hard``: a counted soft bounce ``soft_to_hard_after`` or more after the first soft
  bounce of the episode.
- ``suspension_expired``: the suspension is over (changed_at = the end of the suspension).
- ``soft_decayed``: a soft_bouncing address with no counted bounce within ``soft_window``.
- ``delivered``: a delivery report for a soft_bouncing or suspended address.
- ``complaint``: a complaint (feedback report) makes the address complained.
- ``manual_reset``: `bouncewatch reset`.

A soft-bouncing *episode* (its start, the number of suspensions) lasts until a delivery report,
a manual reset, or a full ``soft_window`` with no counted bounce while not suspended.

Bounces for the sender's own addresses are counted but never change their state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from bouncewatch.model import quick_init


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """The policy's settings (the `[policy]` table of the configuration builds one)."""

    hard_confirmations: int = 1
    soft_threshold: int = 3
    soft_window: timedelta = timedelta(days=14)
    suspend_for: timedelta = timedelta(days=30)
    soft_to_hard_after: timedelta = timedelta(days=180)
    max_suspensions: int = 3
    count_blocks: bool = True  #: block bounces count toward the soft threshold
    complaints_suppress: bool = True  #: a complaint makes the address `complained`
    delivered_resets: bool = True  #: a `delivered` report ends a soft-bouncing episode
    own_domains: tuple[str, ...] = ()
    own_addresses: tuple[str, ...] = ()
    fold_local_part: bool = True  #: compare local parts case-insensitively


SOFT_TYPES = frozenset({"soft", "undetermined"})
FINAL_STATES = frozenset({"invalid", "complained"})


@quick_init
@dataclass(frozen=True, slots=True)
class AddressStatus:
    """What the policy knows about one address (a row of `addresses`, as values)."""

    state: str = "active"
    since: datetime | None = None
    suspended_until: datetime | None = None  #: while suspended; afterwards: when it ended
    hard_count: int = 0
    soft_count: int = 0
    block_count: int = 0
    suspensions: int = 0  #: in the current episode
    soft_since: datetime | None = None  #: first counted soft bounce of the episode
    soft_days: tuple[date, ...] = ()  #: days with a counted soft bounce inside the window
    last_soft_day: date | None = None
    hard_pending_since: datetime | None = None  #: unconfirmed hard bounce (confirmations = 2)


@quick_init
@dataclass(frozen=True, slots=True)
class PolicyEvent:
    event_type: str  #: bounce | delayed | delivered | complaint | auto_reply
    bounce_type: str  #: hard | soft | block | complaint | none | undetermined
    at: datetime
    own: bool = False  #: the address is one of the sender's own


@quick_init
@dataclass(frozen=True, slots=True)
class Change:
    from_state: str
    to_state: str
    rule: str
    at: datetime


@quick_init
@dataclass(frozen=True, slots=True)
class Decision:
    status: AddressStatus
    changes: tuple[Change, ...] = ()
    counted: bool = False  #: the event counted toward a threshold or confirmation


_FIELDS = tuple(f.name for f in fields(AddressStatus))


def _unrolled_replace() -> Callable[..., AddressStatus]:
    """dataclasses.replace for AddressStatus without its generic machinery (the hot path: a
    few calls per event): one line per field, each set through its slot's descriptor (as
    `quick_init` does)."""
    lines = [
        f"    _set{k}(new, changes[{n!r}] if {n!r} in changes else st.{n})"
        for k, n in enumerate(_FIELDS)
    ]
    source = "\n".join(
        ["def replace(st, **changes):", "    new = _new(AddressStatus)", *lines, "    return new"]
    )
    scope: dict[str, Any] = {"_new": object.__new__, "AddressStatus": AddressStatus}
    for k, n in enumerate(_FIELDS):
        scope[f"_set{k}"] = AddressStatus.__dict__[n].__set__
    exec(source, scope)  # the field names come from the dataclass above, nothing else
    return scope["replace"]  # type: ignore[no-any-return]


#: replace(status, **changes) -> a new AddressStatus
replace = _unrolled_replace()


def apply(status: AddressStatus, event: PolicyEvent, policy: PolicyConfig) -> Decision:
    """Apply one event to one address."""
    at = event.at
    expired = expire(status, at, policy)
    st, changes = expired.status, list(expired.changes)
    kind = event.event_type
    if kind == "bounce" and event.bounce_type == "complaint":
        kind = "complaint"
    counted = False
    if kind == "bounce":
        btype = event.bounce_type
        if btype == "hard":
            st = replace(st, hard_count=st.hard_count + 1)
        elif btype == "block":
            st = replace(st, block_count=st.block_count + 1)
        elif btype in SOFT_TYPES:
            st = replace(st, soft_count=st.soft_count + 1)
        if not event.own:
            if btype == "hard":
                st, counted = _hard(st, at, policy, changes)
            elif btype in SOFT_TYPES or (btype == "block" and policy.count_blocks):
                st, counted = _soft(st, at, policy, changes)
    elif kind == "complaint":
        if not event.own and policy.complaints_suppress and st.state != "complained":
            st = _move(st, "complained", "complaint", at, changes)
            counted = True
    elif kind == "delivered" and policy.delivered_resets and st.state not in FINAL_STATES:
        if st.state in ("soft_bouncing", "suspended"):
            st = _move(st, "active", "delivered", at, changes)
        st = _end_episode(st)
    return Decision(st, tuple(changes), counted)


def expire(status: AddressStatus, now: datetime, policy: PolicyConfig) -> Decision:
    """What time alone does: suspensions end, old soft bounces decay, episodes close."""
    st = status
    if (
        st.state == "active"
        and not st.soft_days
        and st.hard_pending_since is None
        and st.soft_since is None
        and not st.suspensions
    ):
        return Decision(st)  # nothing time could change (every new address)
    changes: list[Change] = []
    if st.state == "suspended" and st.suspended_until is not None and st.suspended_until <= now:
        st = _move(st, "active", "suspension_expired", st.suspended_until, changes)
    horizon = (now - policy.soft_window).date()
    if st.soft_days and st.soft_days[0] <= horizon:
        st = replace(st, soft_days=tuple(d for d in st.soft_days if d > horizon))
    if st.hard_pending_since is not None and now - st.hard_pending_since > policy.soft_window:
        st = replace(st, hard_pending_since=None)
    idle = st.state != "suspended" and not st.soft_days and st.hard_pending_since is None
    if idle and st.state == "soft_bouncing":
        # nothing left that counts: the address itself is fine again (even when a suspension
        # ended less than a window ago, which only keeps the episode open, below)
        st = _move(st, "active", "soft_decayed", now, changes)
    if (
        idle
        and (st.soft_since or st.suspensions)
        and (st.suspended_until is None or now - st.suspended_until >= policy.soft_window)
    ):
        st = _end_episode(st)
    return Decision(st, tuple(changes))


def manual_reset(status: AddressStatus, now: datetime) -> Decision:
    """`bouncewatch reset`: back to active with a fresh episode (lifetime counts are kept)."""
    change = Change(status.state, "active", "manual_reset", now)
    st = replace(_end_episode(status), state="active", since=now, suspended_until=None)
    return Decision(st, (change,))


def is_consistent(st: AddressStatus, policy: PolicyConfig) -> list[str]:
    """The invariants of the state machine; returns what is violated (empty: none)."""
    problems = []
    if st.state not in ("active", "soft_bouncing", "suspended", "invalid", "complained"):
        problems.append(f"unknown state {st.state}")
    if st.state == "suspended" and st.suspended_until is None:
        problems.append("suspended without suspended_until")
    if len(st.soft_days) >= policy.soft_threshold:
        problems.append("soft threshold reached but not acted on")
    if list(st.soft_days) != sorted(set(st.soft_days)):
        problems.append("soft days not sorted and unique")
    if st.suspensions > policy.max_suspensions:
        problems.append("more suspensions than max_suspensions")
    if min(st.hard_count, st.soft_count, st.block_count, st.suspensions) < 0:
        problems.append("negative count")
    if st.state == "soft_bouncing" and not st.soft_days and st.hard_pending_since is None:
        problems.append("soft_bouncing without a counted bounce in the window")
    if policy.hard_confirmations == 1 and st.hard_pending_since is not None:
        problems.append("hard bounce pending confirmation with hard_confirmations = 1")
    return problems


# --- transitions --------------------------------------------------------------------------------


def _move(st: AddressStatus, to: str, rule: str, at: datetime, out: list[Change]) -> AddressStatus:
    out.append(Change(st.state, to, rule, at))
    return replace(st, state=to, since=at)


def _end_episode(st: AddressStatus) -> AddressStatus:
    return replace(st, soft_since=None, soft_days=(), suspensions=0, hard_pending_since=None)


def _hard(
    st: AddressStatus, at: datetime, p: PolicyConfig, out: list[Change]
) -> tuple[AddressStatus, bool]:
    if st.state in FINAL_STATES:
        return st, False
    if p.hard_confirmations <= 1:
        return _move(st, "invalid", "hard_bounce", at, out), True
    pending = st.hard_pending_since
    if pending is None:
        st = replace(st, hard_pending_since=at)
        if st.state == "active":
            st = _move(st, "soft_bouncing", "hard_unconfirmed", at, out)
        return st, True
    if at.date() > pending.date():
        st = replace(st, hard_pending_since=None)
        return _move(st, "invalid", "hard_confirmed", at, out), True
    return st, False  # a second hard bounce the same day confirms nothing


def _soft(
    st: AddressStatus, at: datetime, p: PolicyConfig, out: list[Change]
) -> tuple[AddressStatus, bool]:
    if st.state in FINAL_STATES or st.state == "suspended":
        return st, False  # late retries for an address nobody should be mailing now
    day = at.date()
    if day in st.soft_days:
        return st, False  # at most one soft bounce per address per day counts
    days = tuple(sorted((*st.soft_days, day)))
    soft_since = st.soft_since or at
    last = max(st.last_soft_day or day, day)
    st = replace(st, soft_days=days, soft_since=soft_since, last_soft_day=last)
    if at - soft_since >= p.soft_to_hard_after:
        st = replace(st, soft_days=())
        return _move(st, "invalid", "soft_to_hard", at, out), True
    if len(days) >= p.soft_threshold:
        if st.suspensions >= p.max_suspensions:
            st = replace(st, soft_days=())
            return _move(st, "invalid", "max_suspensions", at, out), True
        st = replace(
            st, soft_days=(), suspensions=st.suspensions + 1, suspended_until=at + p.suspend_for
        )
        return _move(st, "suspended", "soft_threshold", at, out), True
    if st.state == "active":
        st = _move(st, "soft_bouncing", "soft_bounce", at, out)
    return st, True


__all__ = [
    "AddressStatus",
    "Change",
    "Decision",
    "PolicyEvent",
    "apply",
    "expire",
    "is_consistent",
    "manual_reset",
]
