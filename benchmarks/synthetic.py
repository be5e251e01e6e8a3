"""Generated bounce histories: rows written straight into a real bouncewatch database.

Used by the report tests (histories with known answers) and `benchmarks/report.py` (volume).
Each event gets its own `messages` row, as a one-recipient bounce would.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bouncewatch.store import Store

#: reason -> (bounce_type, status, smtp code, diagnostic), modelled on what MTAs say.
TYPICAL: dict[str, tuple[str, str, int, str]] = {
    "user_unknown": (
        "hard",
        "5.1.1",
        550,
        "550 5.1.1 <{a}>: Recipient address rejected: User unknown",
    ),
    "domain_not_found": ("hard", "5.1.2", 550, "Host or domain name not found. Name service error"),
    "mailbox_disabled": (
        "hard",
        "5.2.1",
        550,
        "550 5.2.1 The email account that you tried to reach is disabled",
    ),
    "mailbox_full": (
        "soft",
        "4.2.2",
        452,
        "452 4.2.2 The email account that you tried to reach is over quota",
    ),
    "rate_limited": (
        "soft",
        "4.7.28",
        421,
        "421 4.7.28 Our system has detected an unusual rate of unsolicited mail; try again later",
    ),
    "greylisted": (
        "soft",
        "4.7.1",
        450,
        "450 4.7.1 <{a}>: Recipient address rejected: Greylisted, see http://postgrey.example.net/",
    ),
    "network_error": (
        "soft",
        "4.4.1",
        421,
        "connect to mx.{d}[192.0.2.25]:25: Connection timed out",
    ),
    "expired": ("soft", "4.4.7", 451, "Message expired after 5 days in queue"),
    "blocked": (
        "block",
        "5.7.1",
        554,
        "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org",
    ),
    "spam_content": (
        "block",
        "5.7.1",
        550,
        "550 5.7.1 Message rejected as spam by Content Filtering",
    ),
    "auth_failure": (
        "block",
        "5.7.26",
        550,
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy",
    ),
    "policy": ("block", "5.7.1", 550, "550 5.7.1 Message rejected due to local policy"),
    "complaint": ("complaint", "", 0, ""),
    "unknown": ("undetermined", "5.0.0", 550, "550 Requested action not taken"),
    "delayed": ("none", "4.4.7", 0, "Delivery delayed: connection refused"),
    "delivered": ("none", "2.0.0", 250, "250 2.0.0 OK"),
}


@dataclass
class History:
    """Events to write, plus `sent` counts; add with `bounce()` / `sent()`, then `write()`."""

    events: list[tuple] = field(default_factory=list)
    sent_counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def bounce(
        self,
        when: str | datetime | date,
        address: str,
        reason: str = "user_unknown",
        *,
        source: str | None = None,
        count: int = 1,
        bounce_type: str | None = None,
        event_type: str | None = None,
        diagnostic: str | None = None,
        remote_mta: str | None = None,
    ) -> History:
        """Add `count` events for `address` at `when` (a day means noon UTC that day)."""
        typical_type, status, code, text = TYPICAL.get(reason, TYPICAL["unknown"])
        btype = bounce_type or typical_type
        etype = event_type or {"complaint": "complaint", "none": "delayed"}.get(btype, "bounce")
        domain = address.rsplit("@", 1)[-1].lower()
        diag = diagnostic if diagnostic is not None else text.format(a=address, d=domain) or None
        occurred = _iso(when)
        for _ in range(count):
            self.events.append(
                (
                    address,
                    domain,
                    etype,
                    btype,
                    reason,
                    status or None,
                    code or None,
                    diag,
                    remote_mta or f"mx.{domain}",
                    source,
                    occurred,
                )
            )
        return self

    def sent(self, day: str | date, count: int, source: str = "") -> History:
        self.sent_counts[(str(day), source)] = self.sent_counts.get((str(day), source), 0) + count
        return self

    def write(self, conn: sqlite3.Connection) -> None:
        """Insert everything in one transaction."""
        write_events(conn, self.events)
        with conn:
            conn.executemany(
                "INSERT INTO sent(day, source, count) VALUES (?, ?, ?)"
                " ON CONFLICT(day, source) DO UPDATE SET count = count + excluded.count",
                [(d, s, n) for (d, s), n in self.sent_counts.items()],
            )


def _iso(when: str | datetime | date) -> str:
    if isinstance(when, datetime):
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(when, date):
        return f"{when}T12:00:00Z"
    return when if "T" in when else f"{when}T12:00:00Z"


def write_events(conn: sqlite3.Connection, events: list[tuple]) -> None:
    """Insert event tuples (see `History.bounce`), one message row each, in one transaction."""
    first = (conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]) + 1
    with conn:
        conn.executemany(
            "INSERT INTO messages(id, source, uidvalidity, uid, message_id, sha256, size,"
            " received_at, processed_at, outcome, kind, detector)"
            " VALUES (?, 'imap:bounces/INBOX', 1, ?, ?, ?, 4096, ?, ?, 'parsed', 'dsn', 'rfc3464')",
            (
                (
                    first + i,
                    first + i,
                    f"<bounce-{first + i}@mx.example.net>",
                    hashlib.sha256(str(first + i).encode()).hexdigest(),
                    e[10],
                    e[10],
                )
                for i, e in enumerate(events)
            ),
        )
        conn.executemany(
            "INSERT INTO events(message_id, address, domain, event_type, bounce_type, reason,"
            " status, smtp_code, diagnostic, remote_mta, reporting_mta, action, list_source,"
            " rule, detector, occurred_at, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'mta.example.com', ?, ?, 'synthetic',"
            " 'rfc3464', ?, ?)",
            (
                (
                    first + i,
                    *e[:9],
                    "delayed" if e[2] == "delayed" else "failed",
                    e[9],
                    e[10],
                    e[10],
                )
                for i, e in enumerate(events)
            ),
        )


def create_database(path: str | Path) -> sqlite3.Connection:
    """A new database created by the store (schema, migrations, views); a connection to it."""
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


#: A plausible mix for volume tests: reason -> weight.
MIX = {
    "user_unknown": 30,
    "mailbox_full": 15,
    "rate_limited": 6,
    "greylisted": 4,
    "network_error": 5,
    "expired": 3,
    "blocked": 8,
    "spam_content": 4,
    "auth_failure": 2,
    "domain_not_found": 6,
    "mailbox_disabled": 5,
    "complaint": 2,
    "unknown": 3,
    "delayed": 7,
}


def random_events(n: int, *, days: int = 365, end: date, seed: int = 1) -> list[tuple]:
    """`n` event tuples over `days` days ending at `end`, Zipf-like over domains and addresses."""
    rng = random.Random(seed)
    domains = [f"mail{i}.example.{('com', 'net', 'org')[i % 3]}" for i in range(2000)]
    domain_weights = [1 / (i + 1) for i in range(len(domains))]
    reasons, weights = list(MIX), list(MIX.values())
    sources = ["newsletter", "onboarding", "spring-sale", "webinar", "partner-list", None]
    start = datetime(end.year, end.month, end.day) - timedelta(days=days - 1)
    picked_domains = rng.choices(domains, domain_weights, k=n)
    picked_reasons = rng.choices(reasons, weights, k=n)
    out = []
    for i in range(n):
        domain, reason = picked_domains[i], picked_reasons[i]
        btype, status, code, text = TYPICAL[reason]
        address = f"user{rng.randrange(n // 4 + 1)}@{domain}"
        etype = {"complaint": "complaint", "none": "delayed"}.get(btype, "bounce")
        when = start + timedelta(seconds=rng.randrange(days * 86400))
        out.append(
            (
                address,
                domain,
                etype,
                btype,
                reason,
                status or None,
                code or None,
                text.format(a=address, d=domain) or None,
                f"mx.{domain}",
                rng.choice(sources),
                when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        )
    return out


#: The days of `month_with_findings`: 30 days ending on END.
END = date(2026, 11, 20)
SPIKE_DAY = date(2026, 11, 12)


def month_with_findings(end: date = END, spike_day: date = SPIKE_DAY) -> History:
    """A month of bounces with exactly one of each finding (under the default thresholds).

    - every day: 1,000 messages sent to list source `newsletter`, 100 to `purchased`;
      steady.example.com 10 hard + 10 soft (mailbox full) + 2 block from newsletter,
      5 hard from purchased (5 % of its sent: a *bad source*), 2 complaints (0.18 %:
      *rate_over*, complaint)
    - `spike_day`: 100 more hard bounces at spike.example.net (*spike*)
    - throttle.example.org: 30 rate_limited + 15 greylisted + 10 mailbox_full soft bounces
      (*throttled domain*); calm.example.org: 31 mailbox_full + 10 rate_limited (not one)
    - blocky.example.net: 2 blocks in the week before last, 20 in the last 7 days, 12 of them
      DMARC failures (*blocks rising*, authentication)
    - full@slow.example.com: mailbox full every 10 days for 40 days (*re-engage*);
      back@slow.example.com the same but delivered 15 days ago (episode restarted: not one);
      gone@slow.example.com the same, then a hard bounce (not one)
    """
    h = History()
    days = [end - timedelta(n) for n in range(29, -1, -1)]
    for i, day in enumerate(days):
        h.sent(day, 1000, "newsletter").sent(day, 100, "purchased")
        for n in range(10):
            h.bounce(day, f"gone{i}-{n}@steady.example.com", "user_unknown", source="newsletter")
            h.bounce(day, f"full{i}-{n}@steady.example.com", "mailbox_full", source="newsletter")
        for n in range(2):
            h.bounce(day, f"blk{i}-{n}@steady.example.com", "blocked", source="newsletter")
        for n in range(5):
            h.bounce(day, f"bought{i}-{n}@steady.example.com", "user_unknown", source="purchased")
        h.bounce(day, f"angry{i}@steady.example.com", "complaint", source="newsletter", count=2)
        if i % 2 == 0:
            h.bounce(
                day, f"t{i}@throttle.example.org", "rate_limited", source="newsletter", count=2
            )
            h.bounce(day, f"g{i}@throttle.example.org", "greylisted", source="newsletter")
            h.bounce(day, f"c{i}@calm.example.org", "mailbox_full", source="newsletter", count=2)
        if i % 3 == 0:
            h.bounce(day, f"x{i}@throttle.example.org", "mailbox_full", source="newsletter")
            h.bounce(day, f"c{i}@calm.example.org", "rate_limited", source="newsletter")
    h.bounce(days[0], "c-extra@calm.example.org", "mailbox_full", source="newsletter")
    for n in range(100):
        h.bounce(spike_day, f"old{n}@spike.example.net", "user_unknown", source="newsletter")
    h.bounce(end - timedelta(10), "a@blocky.example.net", "blocked", source="newsletter", count=2)
    for n in range(20):
        reason = "auth_failure" if n < 12 else "blocked"
        when = end - timedelta(n % 7)
        h.bounce(when, f"b{n}@blocky.example.net", reason, source="newsletter")
    for who in ("full", "back", "gone"):
        for ago in (40, 30, 20, 10, 0):
            h.bounce(
                end - timedelta(ago), f"{who}@slow.example.com", "mailbox_full", source="newsletter"
            )
    h.bounce(
        f"{end - timedelta(15)}T13:00:00Z",
        "back@slow.example.com",
        "delivered",
        bounce_type="none",
        event_type="delivered",
        source="newsletter",
    )
    h.bounce(f"{end}T13:00:00Z", "gone@slow.example.com", "user_unknown", source="newsletter")
    return h


def tally(events: list[tuple], key: Callable[[tuple], str]) -> dict[str, dict[str, int]]:
    """Counts per bucket computed in plain Python from event tuples: the known answer the
    SQL is checked against.  `key` maps an event tuple to its bucket."""
    out: dict[str, dict[str, int]] = {}
    for e in events:
        etype, btype = e[2], e[3]
        if etype not in ("bounce", "complaint", "delayed"):
            continue
        c = out.setdefault(key(e), dict.fromkeys(COUNTED, 0))
        if etype == "bounce" and btype != "complaint":
            c["bounces"] += 1
            c[btype if btype in ("hard", "soft", "block") else "undetermined"] += 1
        if etype == "complaint" or btype == "complaint":
            c["complaint"] += 1
        if etype == "delayed":
            c["delayed"] += 1
    return out


COUNTED = ("bounces", "hard", "soft", "block", "complaint", "undetermined", "delayed")

#: Positions in an event tuple.
ADDRESS, DOMAIN, EVENT_TYPE, BOUNCE_TYPE, REASON, SOURCE, OCCURRED = 0, 1, 2, 3, 4, 9, 10
