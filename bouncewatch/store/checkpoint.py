"""Copying the WAL back into the database file in a thread of its own.

A checkpoint copies every page the WAL holds into the file and waits for the disk (an fsync of
each).  SQLite's own (`wal_autocheckpoint`) runs inside the commit that fills the WAL, so
whoever commits waits for it: on a large ingest, a sixth of the store's time, and most of it
waiting for the disk.  Here the commit asks for one (`request`) and goes on; the thread copies
on its own connection, during which SQLite does not hold Python's lock, so the next batch is
parsed meanwhile.

The WAL starts again from its beginning (and is cut back to `journal_size_limit`) only when a
write transaction begins after a checkpoint that copied everything: the store's next batch
waits for the checkpoint before it begins (`Store._begin_batch`), and `ingest` parses a batch
before it begins the batch's transaction, which is usually time enough for the copy.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger("bouncewatch.store")


class Checkpointer:
    """A thread that runs `PRAGMA wal_checkpoint(PASSIVE)` on request.

    PASSIVE never blocks the writer or readers: it copies what no reader still needs and
    leaves the rest for the next request.  A failed checkpoint is logged and changes nothing
    (the WAL keeps the pages; the next checkpoint, or the writer's own, copies them)."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.done = 0  #: checkpoints run
        self._cond = threading.Condition()
        self._asked = 0  # requests made
        self._served = 0  # requests a finished checkpoint answered
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a checkpoint (one runs at a time; asking while one runs asks for another)."""
        with self._cond:
            if not self._stopping:
                self._asked += 1
                self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every request so far is answered; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._served == self._asked, timeout)

    def stop(self) -> None:
        """Finish a checkpoint under way, then end the thread (and its connection)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        try:
            # mode=rw: the file is the store's, never one this makes
            conn = sqlite3.connect(
                f"file:{quote(str(self.path))}?mode=rw",
                uri=True,
                timeout=self.busy_timeout,
                isolation_level=None,
            )
        except sqlite3.Error as e:
            log.warning("event=checkpoint_failed path=%s error=%s", self.path, e)
            self._answer_all()
            return
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping or self._asked > self._served)
                    if self._stopping:
                        return
                    asked = self._asked
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.done += 1
                except sqlite3.Error as e:
                    log.warning("event=checkpoint_failed path=%s error=%s", self.path, e)
                with self._cond:
                    self._served = asked
                    self._cond.notify_all()
        finally:
            conn.close()
            self._answer_all()

    def _answer_all(self) -> None:
        """No checkpoint will come (the thread ends): nobody waits for one."""
        with self._cond:
            self._served = self._asked
            self._stopping = True
            self._cond.notify_all()


__all__ = ["Checkpointer"]
