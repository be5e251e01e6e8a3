"""The ingest progress bar reaches 100 % with a count and a rate; Ctrl-C and SIGTERM set a stop
flag so a command finishes the message in hand and says what it committed."""

from __future__ import annotations

import io
import os
import re
import signal

import pytest

from bouncewatch.cli.progress import Progress, stop_on_signals


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_ends_at_100_percent_with_count_and_rate() -> None:
    screen = Terminal()
    with Progress(1000, enabled=True, file=screen) as bar:
        for _ in range(9):
            bar.advance(100)  # mbox From lines and unquoting: fewer bytes than the file holds
        assert bar.percent == 90.0
        bar.finish()
    assert bar.percent == 100.0 and bar.count == 9
    last = screen.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    assert "100%" in last, last
    assert re.search(r"9 messages, [\d,]+/s", last), last


def test_the_bar_never_runs_past_the_total() -> None:
    with Progress(100, enabled=True, file=Terminal()) as bar:
        bar.advance(80)
        bar.advance(80)
        assert bar.percent == 100.0 and bar.count == 2


def test_without_a_bar_progress_still_counts() -> None:
    screen = Terminal()
    with Progress(10, enabled=False, file=screen) as bar:
        bar.advance(5)
        bar.finish()
    assert bar.count == 1 and screen.getvalue() == ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_set_the_stop_flag(signum: int) -> None:
    before = signal.getsignal(signum)
    with stop_on_signals() as stop:
        os.kill(os.getpid(), signum)
        assert stop.wait(5)  # the process goes on: the work decides when to stop
        assert stop.signal == signum and stop.signal.name == signal.Signals(signum).name
    assert signal.getsignal(signum) is before
