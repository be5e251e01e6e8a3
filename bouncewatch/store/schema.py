"""The SQLite schema (contract: documented in the README; other tools read these names).

Times are ISO 8601 UTC text, second precision, with a trailing Z: "2026-11-23T02:48:00Z"
(that form sorts and compares as text, and SQLite's strftime('%Y-%m-%dT%H:%M:%SZ','now')
produces it).

SCHEMA_VERSION is stored in PRAGMA user_version.  A schema change adds a migration (see
store/migrations.py), bumps SCHEMA_VERSION and gets a CHANGELOG entry.
"""

from __future__ import annotations

SCHEMA_VERSION = 4

#: PRAGMA application_id of a bouncewatch database ("bwdb"): tells our files from others.
APPLICATION_ID = 0x62776462

NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

#: Version 1: the tables of the design contract.
TABLES_V1 = """
CREATE TABLE IF NOT EXISTS messages (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,            -- mailbox name ("imap:NAME/FOLDER") or file path
    uidvalidity   INTEGER,
    uid           INTEGER,
    message_id    TEXT,                     -- the bounce's own Message-ID header
    sha256        TEXT NOT NULL,            -- of the raw bytes
    size          INTEGER NOT NULL,
    received_at   TEXT,
    processed_at  TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('parsed','unrecognized','ignored','error')),
    error         TEXT,
    kind          TEXT,                     -- parse kind: dsn|bounce|complaint|auto_reply|not_bounce
    detector      TEXT,
    subject       TEXT,
    original_message_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_imap_uid
    ON messages(source, uidvalidity, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_sha256 ON messages(sha256);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id);

CREATE TABLE IF NOT EXISTS events (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages(id),
    address       TEXT NOT NULL,
    domain        TEXT NOT NULL,
    event_type    TEXT NOT NULL
                  CHECK (event_type IN ('bounce','delayed','delivered','complaint','auto_reply')),
    bounce_type   TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT,
    smtp_code     INTEGER,
    diagnostic    TEXT,
    remote_mta    TEXT,
    reporting_mta TEXT,
    action        TEXT,
    list_source   TEXT,
    rule          TEXT NOT NULL,
    detector      TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_address ON events(address, occurred_at);
CREATE INDEX IF NOT EXISTS events_occurred ON events(occurred_at);
CREATE INDEX IF NOT EXISTS events_domain ON events(domain, occurred_at);
CREATE INDEX IF NOT EXISTS events_message ON events(message_id);

CREATE TABLE IF NOT EXISTS addresses (
    address          TEXT PRIMARY KEY,
    domain           TEXT NOT NULL,
    state            TEXT NOT NULL
                     CHECK (state IN ('active','soft_bouncing','suspended','invalid','complained')),
    state_since      TEXT NOT NULL,
    suspended_until  TEXT,
    hard_count       INTEGER NOT NULL DEFAULT 0,
    soft_count       INTEGER NOT NULL DEFAULT 0,
    block_count      INTEGER NOT NULL DEFAULT 0,
    consecutive_soft INTEGER NOT NULL DEFAULT 0,
    suspensions      INTEGER NOT NULL DEFAULT 0,
    soft_since       TEXT,                  -- first soft bounce of the current soft episode
    last_soft_day    TEXT,                  -- YYYY-MM-DD of the last soft bounce that counted
    last_event_id    INTEGER REFERENCES events(id),
    last_reason      TEXT,
    last_status      TEXT,
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS addresses_state ON addresses(state);
CREATE INDEX IF NOT EXISTS addresses_domain ON addresses(domain);

CREATE TABLE IF NOT EXISTS state_changes (
    id          INTEGER PRIMARY KEY,
    address     TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    event_id    INTEGER REFERENCES events(id),   -- NULL for manual resets and expiries
    rule        TEXT NOT NULL,
    note        TEXT,
    changed_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS state_changes_address ON state_changes(address, changed_at);

-- messages sent, so reports can give rates (filled by `bouncewatch sent` or another tool)
CREATE TABLE IF NOT EXISTS sent (
    day     TEXT NOT NULL,      -- YYYY-MM-DD
    source  TEXT NOT NULL,      -- list source ('' when unknown)
    count   INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (day, source)
);

CREATE TABLE IF NOT EXISTS meta (
    key    TEXT PRIMARY KEY,
    value  TEXT
);
"""

#: Version 2: what the address policy needs to explain itself, and one message per content.
#: events.counted: 1 when the event counted toward a threshold or a confirmation (at most one
#: soft bounce per address per day counts); addresses.soft_days: the days, inside the soft
#: window, with a counted soft bounce; addresses.hard_pending_since: a hard bounce waiting for
#: its confirmation (hard_confirmations = 2).  messages.sha256 becomes unique, so recording a
#: message is a single INSERT that a duplicate turns into nothing.  Two indexes nothing reads
#: go (every index costs each insert): messages(message_id) and events(message_id).
MIGRATION_V2 = """
ALTER TABLE events ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE addresses ADD COLUMN soft_days TEXT;
ALTER TABLE addresses ADD COLUMN hard_pending_since TEXT;
DROP INDEX IF EXISTS messages_sha256;
CREATE UNIQUE INDEX messages_sha256 ON messages(sha256);
DROP INDEX IF EXISTS messages_message_id;
DROP INDEX IF EXISTS events_message;
"""

#: Version 3: whether the reporting MTA gave up retrying (the reason is then the cause it
#: quoted; see the README, "Vocabulary").  Earlier events read 0: they did not record it.
MIGRATION_V3 = """
ALTER TABLE events ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
"""

#: Version 4: trust (see docs/trust.md).  events.trusted: 0 when the event was not allowed to
#: change its address's state (it changed nothing), events.trust: how it was authenticated
#: (signed_verp | known_message | unauthenticated) or why it was refused (not_authenticated |
#: complaint_sender | over_recipient_limit); NULL for events recorded before version 4.
#: messages.untrusted: how many of the message's events were not trusted (a message with
#: any goes to the untrusted folder; kept on the message so a re-read duplicate goes there too).
#: sent_messages / sent_recipients: the Message-IDs (and recipients) `bouncewatch sent`
#: recorded, so a bounce that returns one of them is authenticated.
MIGRATION_V4 = """
ALTER TABLE messages ADD COLUMN untrusted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN trusted INTEGER NOT NULL DEFAULT 1 CHECK (trusted IN (0, 1));
ALTER TABLE events ADD COLUMN trust TEXT;
CREATE TABLE IF NOT EXISTS sent_messages (
    message_id  TEXT PRIMARY KEY,           -- without angle brackets
    sent_at     TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT ''    -- list source ('' when unknown)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sent_recipients (
    message_id  TEXT NOT NULL REFERENCES sent_messages(message_id),
    address     TEXT NOT NULL,              -- normalised like addresses.address
    PRIMARY KEY (message_id, address)
) WITHOUT ROWID;
"""

#: Views are dropped and recreated at every open (they hold no data), so changing one needs
#: no migration.  Report views live in store/report_views.py and are added to these.
VIEWS: dict[str, str] = {
    "suppressed": f"""
CREATE VIEW suppressed AS
SELECT a.address, a.domain, a.state, a.state_since AS since, a.last_reason AS reason,
       a.last_status AS status, a.suspended_until, a.last_event_id
FROM addresses a
WHERE a.state IN ('invalid', 'complained')
   OR (a.state = 'suspended' AND (a.suspended_until IS NULL OR a.suspended_until > {NOW_SQL}))
""",
}
