"""`make demo`: installs what it runs (not the test tools), feeds sent counts, shows a rate and
a finding.  The demo runs here in its Maildir form (the IMAP form is what test_daemon_once
covers with the same messages)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_make_demo_installs_bouncewatch_without_the_test_tools(tmp_path: Path) -> None:
    venv = tmp_path / "venv"  # a fresh one: make plans the whole install
    plan = subprocess.run(
        ["make", "-n", "demo", f"VENV={venv}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert any(line.rstrip().endswith("pip install -q -e .") for line in installs), plan
    assert not any("[test]" in line for line in installs), plan


def test_the_demo_feeds_sent_counts_and_shows_a_rate_and_a_finding(tmp_path: Path) -> None:
    state = tmp_path / "demo-state"
    proc = subprocess.run(
        [sys.executable, "demo/run_demo.py", "--maildir"],
        cwd=REPO,
        env={**os.environ, "BOUNCEWATCH_DEMO_STATE": str(state)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "$ bouncewatch sent --source spring-sale --count 400 --date 2026-11-20" in out
    assert "Totals: 640 sent; 17 bounces" in out
    assert "hard 8 (1.25%)" in out
    assert "* [rate_over] complaint rate 0.16% is over the 0.1% senders keep under" in out
    assert (state / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
