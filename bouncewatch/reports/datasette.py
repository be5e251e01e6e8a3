"""Datasette metadata: canned queries that make `datasette bouncewatch.db -m …` a dashboard.

`datasette/metadata.json` in the repository is `metadata("bouncewatch")` (a test keeps the two
equal); `bouncewatch report --datasette FILE` writes it for a database of another name.
Parameters left empty in Datasette's form mean "no limit". A canned query never takes the name
of a table or view: Datasette would serve the query at that page and hide the view.
"""

from __future__ import annotations

import json
from typing import Any

PERIOD = "(:since = '' OR {col} >= :since) AND (:until = '' OR {col} < :until)"

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "daily": {
        "title": "Bounces per day",
        "description": "Hard / soft / block / complaint counts per day, and rates where the "
        "messages sent are known (hard under 2 %, soft under 5 %). Dates as YYYY-MM-DD.",
        "sql": "SELECT * FROM daily_stats WHERE " + PERIOD.format(col="day") + " ORDER BY day DESC",
        "params": ["since", "until"],
    },
    "weekly": {
        "title": "Bounces per week",
        "description": "The days summed per ISO week (the week is named by its Monday).",
        "sql": """SELECT date(day, 'weekday 0', '-6 days') AS week, sum(sent) AS sent,
  sum(bounces) AS bounces, sum(hard) AS hard, sum(soft) AS soft, sum(block) AS block,
  sum(complaint) AS complaint,
  round(100.0 * sum(hard) / nullif(sum(sent), 0), 3) AS hard_pct,
  round(100.0 * sum(soft) / nullif(sum(sent), 0), 3) AS soft_pct
FROM daily_stats
GROUP BY week ORDER BY week DESC""",
    },
    "domains": {
        "title": "Receiving domains",
        "description": "Bounces per receiving domain in a period (ISO dates or date-times), "
        "with the share of soft bounces that are rate limiting or greylisting.",
        "sql": """SELECT domain,
  count(*) FILTER (WHERE event_type = 'bounce') AS bounces,
  count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'hard') AS hard,
  count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft') AS soft,
  count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'block') AS block,
  count(*) FILTER (WHERE event_type = 'complaint') AS complaint,
  round(100.0 * count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft'
    AND reason IN ('rate_limited', 'greylisted'))
    / nullif(count(*) FILTER (WHERE event_type = 'bounce' AND bounce_type = 'soft'), 0), 1) AS throttled_pct
FROM events
WHERE event_type IN ('bounce', 'complaint') AND """
        + PERIOD.format(col="occurred_at")
        + """
GROUP BY domain ORDER BY bounces DESC, domain LIMIT 100""",
        "params": ["since", "until"],
    },
    "sources": {
        "title": "List sources",
        "description": "Bounces and rates per list source; a source whose hard share is far "
        "above the others is a list to stop importing from.",
        "sql": "SELECT * FROM source_stats ORDER BY hard_share_pct DESC, bounces DESC",
    },
    "throttled_domains": {
        "title": "Domains that throttle you",
        "description": "Domains whose soft bounces are mostly rate limiting or greylisting: "
        "slow down for them.",
        "sql": """SELECT domain, soft, rate_limited, greylisted, throttled_pct, first_at, last_at
FROM domain_stats WHERE soft >= 20 AND throttled_pct >= 50
ORDER BY rate_limited + greylisted DESC""",
    },
    "block_diagnostics": {
        "title": "Why domains block you",
        "description": "Block reasons and diagnostics per domain since a date: reputation, "
        "content, or authentication (SPF/DKIM/DMARC).",
        "sql": """SELECT domain, reason, diagnostic, count(*) AS blocks, max(occurred_at) AS last_at
FROM events
WHERE event_type = 'bounce' AND bounce_type = 'block' AND (:domain = '' OR domain = :domain)
  AND (:since = '' OR occurred_at >= :since)
GROUP BY domain, reason, diagnostic ORDER BY blocks DESC, domain LIMIT 200""",
        "params": ["domain", "since"],
    },
    "re_engagement": {
        "title": "Soft-bouncing for a month or more",
        "description": "Addresses still soft-bouncing or suspended whose soft episode began 30 "
        "days or more ago: worth one re-engagement message.",
        "sql": """SELECT address, domain, state, soft_since, soft_count, consecutive_soft,
  last_reason, last_status, last_seen_at
FROM addresses
WHERE state IN ('soft_bouncing', 'suspended')
  AND soft_since IS NOT NULL AND julianday('now') - julianday(soft_since) >= 30
ORDER BY soft_since""",
    },
    "suppression_list": {
        "title": "Suppression list",
        "description": "Addresses not to mail now, with since when and why.",
        "sql": "SELECT * FROM suppressed ORDER BY since DESC",
    },
    "recent_hard": {
        "title": "Latest hard bounces",
        "description": "The last 200 hard bounces with their status and diagnostic.",
        "sql": """SELECT occurred_at, address, reason, status, diagnostic, list_source, remote_mta
FROM events WHERE event_type = 'bounce' AND bounce_type = 'hard'
ORDER BY occurred_at DESC LIMIT 200""",
    },
    "address_history": {
        "title": "One address",
        "description": "Every event and state change of one address: why was it removed?",
        "sql": """SELECT occurred_at AS at, 'event' AS what, event_type || ' ' || bounce_type AS kind,
  reason, status, diagnostic
FROM events WHERE address = lower(:address)
UNION ALL
SELECT changed_at, 'state', coalesce(from_state, '-') || ' -> ' || to_state, rule, NULL, note
FROM state_changes WHERE address = lower(:address)
ORDER BY at, what""",
        "params": ["address"],
    },
}

TABLE_NOTES = {
    "daily_stats": "One row per UTC day: counts, messages sent, rates (percent of sent).",
    "domain_stats": "One row per receiving domain, all time.",
    "source_stats": "One row per list source ('' = none named), all time.",
    "events": "Every bounce, complaint, delay and delivery notice, one row per recipient.",
    "addresses": "Current state of every address seen.",
    "suppressed": "Addresses not to mail now.",
}


def metadata(database: str = "bouncewatch") -> dict[str, Any]:
    """The Datasette metadata for a database file named `<database>.db`."""
    return {
        "title": "bouncewatch",
        "description": "Bounces, complaints and address states from the bounce mailbox.",
        "databases": {
            database: {
                "tables": {name: {"description": text} for name, text in TABLE_NOTES.items()},
                "queries": CANNED_QUERIES,
            }
        },
    }


def metadata_json(database: str = "bouncewatch") -> str:
    return json.dumps(metadata(database), indent=2) + "\n"
