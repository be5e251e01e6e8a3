"""SQL views for reports: the numbers `bouncewatch report` shows, for any tool that reads the file.

The views are recreated at every open of the store (they hold no data).  Their columns are a
contract, documented in the README:

``daily_stats``  one row per UTC day that has events or a `sent` count
    day, sent, bounces, hard, soft, block, complaint, undetermined, delayed,
    hard_pct, soft_pct, block_pct, complaint_pct, hard_over, soft_over
``domain_stats`` one row per receiving domain, all time
    domain, bounces, hard, soft, block, complaint, undetermined, delayed, addresses,
    rate_limited, greylisted, throttled_pct, first_at, last_at
``source_stats`` one row per list source ('' when the bounce named none), all time
    source, sent, bounces, hard, soft, block, complaint, undetermined, delayed,
    hard_pct, soft_pct, block_pct, complaint_pct, hard_over, soft_over, hard_share_pct,
    first_at, last_at

What counts as what is defined once here (`COUNT_COLUMNS`) and used by the report queries too:
"bounces" are events of type 'bounce' (hard + soft + block + undetermined); complaints are
counted apart; delayed notices are counted but are not bounces.  Rates (`*_pct`) are per 100
messages sent in the same bucket and NULL where nothing sent is known.
"""

from __future__ import annotations

#: Rate thresholds senders hold to (percent of messages sent).  Over them, `*_over` is 1.
HARD_LIMIT_PCT = 2.0
SOFT_LIMIT_PCT = 5.0
COMPLAINT_LIMIT_PCT = 0.1

#: Aggregate columns over `events`; the one definition of what is counted.
COUNT_COLUMNS = """
    count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type <> 'complaint') AS bounces,
    count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'hard') AS hard,
    count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft') AS soft,
    count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'block') AS block,
    count(*) FILTER (WHERE event_type = 'complaint' OR bounce_type = 'complaint') AS complaint,
    count(*) FILTER (WHERE event_type = 'bounce'
                     AND bounce_type NOT IN ('hard', 'soft', 'block', 'complaint')) AS undetermined,
    count(*) FILTER (WHERE event_type = 'delayed') AS delayed"""

#: The event rows the counts can see (delivered notices and auto-replies never count).
COUNTED_EVENTS = "event_type IN ('bounce', 'complaint', 'delayed')"

#: Reasons that mean "the receiver wants you to slow down".
THROTTLE_REASONS = ("rate_limited", "greylisted")


def _pct(column: str, sent: str = "sent") -> str:
    return f"CASE WHEN {sent} > 0 THEN round(100.0 * {column} / {sent}, 3) END"


def _rate_columns(sent: str = "sent") -> str:
    return f"""
    {_pct("hard", sent)} AS hard_pct,
    {_pct("soft", sent)} AS soft_pct,
    {_pct("block", sent)} AS block_pct,
    {_pct("complaint", sent)} AS complaint_pct,
    CASE WHEN {sent} > 0 THEN 100.0 * hard / {sent} >= {HARD_LIMIT_PCT} END AS hard_over,
    CASE WHEN {sent} > 0 THEN 100.0 * soft / {sent} >= {SOFT_LIMIT_PCT} END AS soft_over"""


_ZEROED = ", ".join(
    f"coalesce(ev.{c}, 0) AS {c}"
    for c in ("bounces", "hard", "soft", "block", "complaint", "undetermined", "delayed")
)

DAILY_STATS = f"""
CREATE VIEW daily_stats AS
WITH ev AS (
    SELECT substr(occurred_at, 1, 10) AS day, {COUNT_COLUMNS}
    FROM events WHERE {COUNTED_EVENTS}
    GROUP BY substr(occurred_at, 1, 10)
), s AS (
    SELECT day, sum(count) AS sent FROM sent GROUP BY day
), days AS (
    SELECT day FROM ev UNION SELECT day FROM s
), joined AS (
    SELECT days.day, s.sent, {_ZEROED}
    FROM days LEFT JOIN ev ON ev.day = days.day LEFT JOIN s ON s.day = days.day
)
SELECT *, {_rate_columns()}
FROM joined
ORDER BY day
"""

DOMAIN_STATS = f"""
CREATE VIEW domain_stats AS
SELECT domain, {COUNT_COLUMNS},
    count(DISTINCT address) FILTER (WHERE event_type = 'bounce') AS addresses,
    count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft'
                     AND reason = 'rate_limited') AS rate_limited,
    count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft'
                     AND reason = 'greylisted') AS greylisted,
    round(100.0 * count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft'
                                   AND reason IN {THROTTLE_REASONS!r})
          / nullif(count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft'), 0),
          1) AS throttled_pct,
    min(occurred_at) AS first_at, max(occurred_at) AS last_at
FROM events WHERE {COUNTED_EVENTS}
GROUP BY domain
ORDER BY bounces DESC, domain
"""

SOURCE_STATS = f"""
CREATE VIEW source_stats AS
WITH ev AS (
    SELECT coalesce(list_source, '') AS source, {COUNT_COLUMNS},
        min(occurred_at) AS first_at, max(occurred_at) AS last_at
    FROM events WHERE {COUNTED_EVENTS}
    GROUP BY coalesce(list_source, '')
), s AS (
    SELECT source, sum(count) AS sent FROM sent GROUP BY source
), sources AS (
    SELECT source FROM ev UNION SELECT source FROM s
), joined AS (
    SELECT sources.source, s.sent, {_ZEROED}, ev.first_at, ev.last_at
    FROM sources LEFT JOIN ev ON ev.source = sources.source
    LEFT JOIN s ON s.source = sources.source
)
SELECT source, sent, bounces, hard, soft, block, complaint, undetermined, delayed,
    {_rate_columns()},
    round(100.0 * hard / nullif(bounces, 0), 1) AS hard_share_pct,
    first_at, last_at
FROM joined
ORDER BY bounces DESC, source
"""

VIEWS: dict[str, str] = {
    "daily_stats": DAILY_STATS,
    "domain_stats": DOMAIN_STATS,
    "source_stats": SOURCE_STATS,
}
"""SQL views for reports.  name -> CREATE VIEW statement."""
