"""Schema migrations: an ordered list, applied at open, version in PRAGMA user_version.

Migration N takes a database at version N-1 to version N.  Each runs in its own IMMEDIATE
transaction together with the new user_version, so a crash leaves the file at N-1 or N, never
in between, and two processes opening a fresh file at once migrate it once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from bouncewatch.store.schema import (
    APPLICATION_ID,
    MIGRATION_V2,
    MIGRATION_V3,
    MIGRATION_V4,
    SCHEMA_VERSION,
    TABLES_V1,
)

Migration = Callable[[sqlite_utils.Database], None]


def _v1_tables(db: sqlite_utils.Database) -> None:
    for statement in _statements(TABLES_V1):
        db.execute(statement)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _v2_policy_columns(db: sqlite_utils.Database) -> None:
    for statement in _statements(MIGRATION_V2):
        db.execute(statement)


def _v3_expired_column(db: sqlite_utils.Database) -> None:
    for statement in _statements(MIGRATION_V3):
        db.execute(statement)


def _v4_trust(db: sqlite_utils.Database) -> None:
    for statement in _statements(MIGRATION_V4):
        db.execute(statement)


#: MIGRATIONS[i] takes version i to version i + 1.
MIGRATIONS: tuple[Migration, ...] = (
    _v1_tables,
    _v2_policy_columns,
    _v3_expired_column,
    _v4_trust,
)

assert len(MIGRATIONS) == SCHEMA_VERSION


def user_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, target: int = SCHEMA_VERSION) -> list[int]:
    """Bring the file to `target`; returns the versions applied (empty: already there)."""
    applied: list[int] = []
    while True:
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = user_version(db)  # re-read under the write lock
            if version >= target:
                conn.execute("ROLLBACK")
                return applied
            MIGRATIONS[version](db)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(version + 1)


def _statements(script: str) -> list[str]:
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out
