"""The SQLite file: opening (checks, WAL, migrations, views), transactions, meta.

Concurrency: WAL mode, so readers (report tools, `sqlite3`, Datasette) never block the daemon
and the daemon never blocks them; a busy timeout so two writers (the daemon and an `ingest`)
wait for each other instead of failing; writes start with BEGIN IMMEDIATE so a transaction
never has to upgrade a read lock (which is where SQLite deadlocks).  synchronous=NORMAL: in
WAL mode a power cut can lose the last transactions but never corrupts the file, and
processing is idempotent, so those messages are simply processed again.
"""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from bouncewatch.errors import StoreBusyError, StoreError
from bouncewatch.model import ParseOptions, ParseResult, RawMessage
from bouncewatch.store import recorder
from bouncewatch.store.addresses import OwnAddresses
from bouncewatch.store.checkpoint import Checkpointer
from bouncewatch.store.migrations import migrate, user_version
from bouncewatch.store.policy import Change, PolicyConfig
from bouncewatch.store.report_views import VIEWS as REPORT_VIEWS
from bouncewatch.store.schema import APPLICATION_ID, SCHEMA_VERSION, VIEWS
from bouncewatch.trust.settings import TrustConfig

log = logging.getLogger("bouncewatch.store")

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds
#: page cache per connection: holds the hot parts of the indexes (random keys: addresses,
#: content hashes) so large ingests don't re-read them; a bound, so memory stays flat
CACHE_KIB = 32_000
#: how much the WAL may hold before a commit copies it into the file (SQLite's default is
#: 4 MiB).  A large ingest dirties the same index pages batch after batch: checkpointed every
#: few batches instead of every one, each page is copied once for several commits (a fifth
#: fewer bytes written, a tenth off the store's cost at 100,000 messages).  The WAL file is
#: cut back to this size when it restarts, so it never keeps more disk than that.
WAL_CHECKPOINT_KIB = 64 * 1024
#: the database and its -wal / -shm files: the owner writes, its group reads, others nothing
FILE_MODE = 0o640
SIDE_FILES = ("", "-wal", "-shm")


class Store:
    """An open bouncewatch database.  Not shared between threads."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        policy: PolicyConfig,
        verp: Any,
        trust: TrustConfig | None = None,
        verp_secrets: tuple[bytes, ...] = (),
    ) -> None:
        self.path = path
        self.trust = trust or TrustConfig()
        self.verp_secrets = verp_secrets
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.policy = policy
        self.own = OwnAddresses(policy)
        self.verp = verp
        self._batch_pending = 0
        self.batch_size = 0
        self._savepoints = True
        #: `conn.total_changes` when the batch's current transaction began: while it is the
        #: same, nothing has been written in that transaction yet
        self._batch_begun_at = -1
        #: copies the WAL into the file after a batch's commit (started by the first batch
        #: that fills the WAL; None in WAL-less mode, see `_after_commit`)
        self.checkpointer: Checkpointer | None = None
        #: the database file by its absolute path when in WAL mode (None: no WAL to copy)
        self._wal_db: Path | None = None

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        policy: PolicyConfig | None = None,
        parse_options: ParseOptions | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        trust: TrustConfig | None = None,
        verp_secrets: tuple[bytes, ...] = (),
        group: str | None = None,
    ) -> Store:
        """Open (creating and migrating as needed) the database at `path`.

        The file and its -wal / -shm are given mode 0640 (whatever the umask) and, with
        `group`, that group, so the group's members can read the database.

        Raises StoreError, with a message for people, when the file is not a SQLite database,
        belongs to another program, or was written by a newer bouncewatch.
        """
        path = Path(path)
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        if not path.parent.exists():
            raise StoreError(f"{path}: folder {path.parent} does not exist")
        gid = _group_id(group) if group else None
        _precreate(path, gid)
        try:
            conn = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise StoreError(f"{path}: cannot open database: {e}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            _check_ours(conn, path)
            mode = _journal_mode_wal(conn, busy_timeout)
            if mode.lower() != "wal":
                log.warning("event=no_wal path=%s journal_mode=%s", path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            _wal_autocheckpoint(conn, WAL_CHECKPOINT_KIB)
            conn.execute(f"PRAGMA journal_size_limit = {WAL_CHECKPOINT_KIB * 1024}")
            conn.execute("PRAGMA foreign_keys = ON")
            store = cls(
                path,
                conn,
                policy or PolicyConfig(),
                parse_options.verp if parse_options else ParseOptions().verp,
                trust,
                verp_secrets,
            )
            # (absolute: the checkpointer's connection opens it later, whatever the directory)
            store._wal_db = path.absolute() if mode.lower() == "wal" else None
            applied = migrate(store.db)
            if applied:
                log.info("event=migrated path=%s versions=%s", path, applied)
            store._ensure_views()
            _set_modes(path, gid)
        except StoreError:
            conn.close()
            raise
        except sqlite3.DatabaseError as e:
            conn.close()
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                raise StoreBusyError(f"{path}: database is locked by another process") from None
            raise StoreError(f"{path}: cannot use database: {e}") from None
        return store

    def _ensure_views(self) -> None:
        """Views hold no data: (re)create any whose definition changed."""
        wanted = {**VIEWS, **REPORT_VIEWS}
        have = {
            r[0]: r[1]
            for r in self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type='view'")
        }
        stale = [n for n, sql in wanted.items() if have.get(n) != sql.strip()]
        if not stale:
            return
        with self.write():
            for name in wanted:  # in order: later views may use earlier ones
                self.conn.execute(f"DROP VIEW IF EXISTS {name}")
            for sql in wanted.values():
                self.conn.execute(sql.strip())

    def close(self) -> None:
        """Close the file (an open batch was committed or rolled back by its `with`)."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None
        with contextlib.suppress(sqlite3.Error):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.conn.execute("PRAGMA optimize")
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: a transaction, or a savepoint inside a batch."""
        conn = self.conn
        if conn.in_transaction:
            conn.execute("SAVEPOINT w")
            try:
                yield conn
            except BaseException:
                # some errors (disk full, I/O error) make SQLite roll back the whole
                # transaction itself: then there is no savepoint left to roll back to, and
                # the caller must learn that the batch is gone (conn.in_transaction is False)
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO w")
                    conn.execute("RELEASE w")
                raise
            conn.execute("RELEASE w")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def batch(self, size: int = 2000, *, each_message_atomic: bool = True) -> Iterator[Store]:
        """Group `record` calls: commits come every `size` messages.

        With `each_message_atomic` (the default) each message is a savepoint: one that fails
        is rolled back alone and the batch goes on (the daemon's way).  Without it, a failing
        message rolls back the whole uncommitted batch and the error propagates (file ingest,
        which stops at the first error anyway): two statements fewer per message.  Either
        way no partial message is ever committed, and since recording is idempotent a re-run
        records exactly what a crash lost.  Not for sources that acknowledge messages one at a
        time: they need the commit before the acknowledgement."""
        self.batch_size = size
        self._batch_pending = 0
        self._savepoints = each_message_atomic
        self._begin_batch()
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self.batch_size = 0
            self._savepoints = True
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
            self._after_commit()

    def _after_record(self, count: int = 1) -> None:
        if self.batch_size:
            self._batch_pending += count
            if self._batch_pending >= self.batch_size:
                self.conn.execute("COMMIT")
                self._after_commit()
                self._begin_batch()
                self._batch_pending = 0

    def _after_commit(self) -> None:
        """After a batch's commit: when the WAL holds more than WAL_CHECKPOINT_KIB, ask the
        checkpointer (see `store.checkpoint`) to copy it into the file; the next batch's
        transaction waits for it to finish (`_begin_batch`), so the WAL never holds more than
        that and one batch.  The first time, the checkpointer is started, and the commits' own
        checkpoint moved to four times the size (for writes outside batches)."""
        if self._wal_db is None:
            return
        try:
            size = os.stat(f"{self._wal_db}-wal").st_size
        except OSError:
            return
        if size <= WAL_CHECKPOINT_KIB * 1024:
            return
        if self.checkpointer is None:
            _wal_autocheckpoint(self.conn, 4 * WAL_CHECKPOINT_KIB)
            busy_ms = self.conn.execute("PRAGMA busy_timeout").fetchone()[0]
            self.checkpointer = Checkpointer(self._wal_db, busy_ms / 1000)
        self.checkpointer.request()

    def _begin_batch(self) -> None:
        if self.checkpointer is not None:
            # a checkpoint still copying what the last commit left: once it has copied it all,
            # this transaction starts the WAL again from its beginning (`ingest` parses the
            # batch first, which is usually time enough)
            self.checkpointer.wait()
        self.conn.execute("BEGIN IMMEDIATE")
        self._batch_begun_at = self.conn.total_changes

    # --- the hot path -------------------------------------------------------------------------

    def record(self, raw: RawMessage, result: ParseResult, now: datetime) -> recorder.RecordOutcome:
        """Record one message, its events and the state changes they cause, atomically.

        Idempotent: a message already recorded (same source + UIDVALIDITY + UID, or same
        content hash) writes nothing and returns `duplicate=True`.
        """
        if self.batch_size and not self._savepoints:
            outcome = recorder.record(self, raw, result, now)  # the batch is the unit
        else:
            with self.write():
                outcome = recorder.record(self, raw, result, now)
        self._after_record()
        return outcome

    def record_many(
        self, messages: Sequence[tuple[RawMessage, ParseResult, datetime]]
    ) -> list[recorder.RecordOutcome]:
        """Record a batch of (message, result, now): the same rows and outcomes as `record` on
        each in turn, in a few statements for the whole batch, atomically.  When it fails
        nothing of it is written: the caller records the messages one at a time to learn
        which one fails (`bouncewatch.ingest.record_batch` does).

        Inside a batch the unit is a savepoint, or, when the batch's transaction holds no
        write yet (the usual case: a batch begun for these messages), that transaction itself:
        on failure it is rolled back and begun again, which leaves what the savepoint's
        rollback would (nothing written).  A savepoint makes SQLite copy every page it changes
        to a statement journal first, an eighth of the store's cost on a large ingest."""
        conn = self.conn
        if self.batch_size and conn.in_transaction and conn.total_changes == self._batch_begun_at:
            try:
                outcomes = recorder.record_many(self, messages)
            except Exception:
                # (when SQLite rolled the transaction back itself, disk full or an I/O error,
                # there is none left: the caller learns the batch is gone)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                    self._begin_batch()
                raise
        else:
            with self.write():
                outcomes = recorder.record_many(self, messages)
        self._after_record(len(messages))
        return outcomes

    def expire_suspensions(self, now: datetime) -> list[tuple[str, Change]]:
        """End suspensions that are over and decay old soft bounces (recorded changes)."""
        with self.write():
            return recorder.expire_all(self, now)

    # --- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str | None) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def schema_version(self) -> int:
        return user_version(self.db)


def _group_id(group: str) -> int:
    try:
        return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise StoreError(f"database_group: no such group {group!r}") from None


def _precreate(path: Path, gid: int | None) -> None:
    """Create the database file with FILE_MODE before SQLite does, so it never exists with
    the umask's mode.  (SQLite gives the -wal and -shm files the database file's mode.)"""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            if gid is not None:
                os.fchown(fd, -1, gid)
        finally:
            os.close(fd)
    except FileExistsError:
        return
    except OSError:
        return  # SQLite's own open says what is wrong, in its words


def _set_modes(path: Path, gid: int | None) -> None:
    """FILE_MODE (and the group) on the files we own, e.g. ones an older version created."""
    uid = os.geteuid()
    for suffix in SIDE_FILES:
        p = f"{path}{suffix}"
        try:
            st = os.stat(p)
            if st.st_uid != uid:
                continue
            if st.st_mode & 0o777 != FILE_MODE:
                os.chmod(p, FILE_MODE)
            if gid is not None and st.st_gid != gid:
                os.chown(p, -1, gid)
        except FileNotFoundError:
            continue
        except PermissionError as e:
            log.warning("event=db_mode_unchanged path=%s error=%s", p, e.strerror or e)


def _wal_autocheckpoint(conn: sqlite3.Connection, kib: int) -> None:
    """Let a commit checkpoint the WAL itself once it holds `kib` KiB."""
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute(f"PRAGMA wal_autocheckpoint = {kib * 1024 // page}")


def _journal_mode_wal(conn: sqlite3.Connection, busy_timeout: float) -> str:
    """`PRAGMA journal_mode = WAL`, and the mode it leaves.  SQLite answers "database is
    locked" at once, without its busy handler, when another connection is switching a new
    file to WAL at the same moment (two processes starting on one file): tried again until
    the busy timeout is spent, as any other statement would wait."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse files that are not SQLite, belong to another program, or are too new."""
    try:
        conn.execute("BEGIN")  # one snapshot: another process may be migrating the file
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            }
        finally:
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as e:
        if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
            raise StoreBusyError(f"{path}: database is locked by another process") from None
        raise StoreError(f"{path}: not a bouncewatch database (not a SQLite file: {e})") from None
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(
            f"{path}: not a bouncewatch database (it belongs to another program: "
            f"application_id {app_id:#x})"
        )
    if version == 0 and tables:
        shown = ", ".join(sorted(tables)[:5])
        raise StoreError(
            f"{path}: not a bouncewatch database (it has other tables: {shown}); "
            "point --db at a new file"
        )
    if version > 0 and "messages" not in tables:
        raise StoreError(
            f"{path}: not a bouncewatch database (schema version {version} without our tables)"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: written by a newer bouncewatch (schema version {version}; this version "
            f"knows up to {SCHEMA_VERSION}); upgrade bouncewatch"
        )
