"""What a long command shows while it works and says when it is stopped.

- `Progress`: a bar over the bytes to read that ends at 100 %, with the count of messages and
  the rate beside it (`12,400 messages, 1,380/s`).  The bytes read never add up exactly to the
  files' sizes (mbox `From ` lines, `>From ` unquoting), so `finish()` fills the bar.
- `stop_on_signals()`: Ctrl-C (SIGINT) and SIGTERM set a flag the work checks between
  messages, so the message in hand finishes, what is done is committed, and the command can say
  how much before it exits with 130 / 143.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any, TextIO

import click


class StopFlag(threading.Event):
    """Set by SIGINT (Ctrl-C) or SIGTERM; `signal` says which came first."""

    signal: signal.Signals | None = None


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """Inside the block SIGINT and SIGTERM set the flag instead of killing the process: the
    work in hand finishes, what is done is committed, and the command says so."""
    flag = StopFlag()

    def stop(signum: int, frame: FrameType | None) -> None:
        if flag.signal is None:
            flag.signal = signal.Signals(signum)
        flag.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class Progress:
    """A progress bar on stderr over `total` bytes, with a message count and a rate."""

    def __init__(self, total: int, *, enabled: bool, file: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.count = 0
        self.done = 0
        self.started = time.monotonic()
        self._bar: Any = None
        if enabled:
            self._bar = click.progressbar(
                length=self.total,
                label="ingest",
                file=file or sys.stderr,
                show_percent=True,
                show_eta=True,
                item_show_func=lambda text: text,
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def rate(self) -> float:
        """Messages a second so far."""
        return self.count / max(time.monotonic() - self.started, 1e-6)

    def status(self) -> str:
        return f"{self.count:,} messages, {self.rate():,.0f}/s"

    def advance(self, nbytes: int) -> None:
        """One message of `nbytes` bytes read."""
        self.count += 1
        step = min(nbytes, self.total - self.done)  # never past 100 % before the end
        self.done += step
        if self._bar is not None:
            self._bar.update(step, self.status())

    def finish(self) -> None:
        """Everything is read: the bar shows 100 % with the final count and rate."""
        if self._bar is not None:
            self._bar.update(self.total - self.done, self.status())
        self.done = self.total

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total


__all__ = ["Progress", "StopFlag", "stop_on_signals"]
