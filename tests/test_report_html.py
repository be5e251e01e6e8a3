"""The HTML report: self-contained, and rendered by a real headless Chromium with the numbers."""

from __future__ import annotations

import re
import shutil
import sqlite3
import struct
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import synthetic as syn

from bouncewatch.reports import queries as q
from bouncewatch.reports.html import render_page

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, sqlite3.Connection]:
    folder = tmp_path_factory.mktemp("html")
    conn = syn.create_database(folder / "bouncewatch.db")
    syn.month_with_findings().write(conn)
    with conn:  # addresses that became suppressed in the period (and one long before it)
        conn.executemany(
            "INSERT INTO state_changes(address, from_state, to_state, rule, changed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (
                    f"user{i}@spike.example.net",
                    "active",
                    "invalid",
                    "hard_bounce",
                    f"{syn.SPIKE_DAY}T12:00:0{i}Z",
                )
                for i in range(3)
            ]
            + [
                (
                    "full@slow.example.com",
                    "soft_bouncing",
                    "suspended",
                    "soft_threshold",
                    f"{syn.END}T09:00:00Z",
                ),
                (
                    "full@slow.example.com",
                    "suspended",
                    "active",
                    "suspension_expired",
                    f"{syn.END}T10:00:00Z",
                ),
                (
                    "old@slow.example.com",
                    "active",
                    "invalid",
                    "hard_bounce",
                    "2025-01-01T00:00:00Z",
                ),
            ],
        )
    text = render_page(conn, q.Period(), title="bouncewatch.db", now=NOW)
    path = folder / "report.html"
    path.write_text(text, encoding="utf-8")
    return path, text, conn


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary, "Debian's chromium package is needed (make system-deps installs it)"
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # the page must need no network
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class _Resources(HTMLParser):
    """Collects everything in a page that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "base"):
            self.found.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                self.found.append(f"{tag} {name}={value}")
            if value and re.search(r"url\(|https?://", value):
                self.found.append(f"{tag} {name}={value}")


def test_the_page_references_nothing_outside_itself(page):
    _, text, _ = page
    parser = _Resources()
    parser.feed(text)
    assert parser.found == []
    assert {"svg", "rect", "table", "style"} <= parser.tags
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "url(" not in style and "@import" not in style and "http" not in style
    # the only http(s) text is what receivers wrote in their diagnostics, shown as text
    for m in re.finditer(r"https?://", text):
        before = text[: m.start()]
        assert before.rfind("<") < before.rfind(">"), "an URL inside a tag"
        assert text[m.start() :].startswith("http://postgrey.example.net/")


def test_the_page_holds_the_numbers(page):
    _, text, conn = page
    total = q.totals(conn, q.Period())
    for value in (total.sent, total.bounces, total.hard, total.soft, total.block, total.complaint):
        assert f'<div class="value">{value:,}</div>' in text
    assert "1.67% of sent (limit 2%)" in text
    assert '<div class="rate over">0.18% of sent (limit 0.1%)</div>' in text
    assert text.count('<g class="day"') == len(q.by_day(conn, q.Period()))
    assert text.count('<g class="domain">') == len(q.by_domain(conn, q.Period()))
    assert "generated 2026-11-21 08:00 UTC" in text


def test_chromium_renders_the_page_with_the_expected_numbers(page, tmp_path: Path):
    path, _, conn = page
    dom = chromium("--dump-dom", path.as_uri(), profile=tmp_path / "profile").stdout
    assert "<h1>Bounce report</h1>" in dom
    # the cards
    for label, value in (
        ("Sent", "33,000"),
        ("Hard", "551"),
        ("Soft", "411"),
        ("Complaints", "60"),
    ):
        assert re.search(rf'<div class="label">{label}</div><div class="value">{value}</div>', dom)
    # charts: one bar group per day, the spike marked, the top domains with their totals
    spike = str(syn.SPIKE_DAY)
    assert (
        f'<g class="day" data-day="{spike}"><title>{spike}: hard 115, block 2, soft 12, complaints 2, sent 1,100</title>'
        in dom
    )
    assert "<title>spike</title>" in dom
    for domain in q.by_domain(conn, q.Period()):
        assert f">{domain.key}</text>" in dom
        assert f">{domain.hard + domain.soft + domain.block:,}</text></g>" in dom
    assert "hard limit 2%" in dom and "soft limit 5%" in dom
    # findings and the list sources table
    assert "Findings (6)" in dom
    assert "throttle.example.org: 82% of 55 soft bounces are rate limiting or greylisting" in dom
    assert re.search(
        r"<td>purchased</td><td>3,000</td><td>150</td><td>150</td>.*?<td class=\"over\">5.00%</td>",
        dom,
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chromium_screenshot_is_a_real_picture(page, tmp_path: Path):
    path, _, _ = page
    shot = tmp_path / "report.png"
    chromium(
        "--hide-scrollbars",
        "--window-size=1100,1800",
        f"--screenshot={shot}",
        path.as_uri(),
        profile=tmp_path / "profile",
    )
    data = shot.read_bytes()
    assert _png_size(data) == (1100, 1800)
    # a blank or error page compresses to a few kB; charts, cards and text do not
    assert len(data) > 60_000


def test_an_empty_database_still_makes_a_page(tmp_path: Path):
    conn = syn.create_database(tmp_path / "empty.db")
    text = render_page(conn, q.Period(), now=NOW)
    assert "no events" in text and "Nothing stands out." in text
    assert "Top receiving domains" not in text and "Rates per day" not in text


def test_big_numbers_stay_on_one_line_in_the_cards():
    from bouncewatch.reports.html import _card

    card = _card("Sent", 131_400_000, None, None, "#ccc")
    assert '<div class="value">131.4 M</div>' in card and 'title="Sent: 131,400,000"' in card
    assert '<div class="value">9,999,999</div>' in _card("Sent", 9_999_999, None, None, "#ccc")


def test_the_page_breaks_bounces_down_by_reason(page):
    _, text, conn = page
    reasons = q.by_reason(conn, q.Period())
    assert sum(r.count for r in reasons) == q.totals(conn, q.Period()).bounces + 60  # + complaints
    assert text.count('<g class="reason"') == len(reasons)
    assert reasons[0].reason == "user_unknown" and reasons[0].count == 551
    assert '<g class="reason" data-reason="user_unknown"><title>user_unknown (hard): 551' in text


def test_the_page_lists_the_addresses_newly_suppressed_in_the_period(page):
    _, text, conn = page
    assert "<h2>Newly suppressed (5)</h2>" in text  # all history
    assert "<td>user2@spike.example.net</td><td>invalid</td>" in text
    assert "<td>full@slow.example.com</td><td>suspended</td>" in text
    assert "<td>old@slow.example.com</td>" in text
    month = render_page(conn, q.Period("2026-10-11T00:00:00Z", None), now=NOW)
    assert "<h2>Newly suppressed (4)</h2>" in month and "old@slow.example.com" not in month
    assert "suspension_expired" not in month  # back to active is not a suppression
    none = render_page(conn, q.Period("2026-10-12T00:00:00Z", "2026-10-13T00:00:00Z"), now=NOW)
    assert "<h2>Newly suppressed (0)</h2>" in none and "No address was newly suppressed" in none


def test_the_axes_carry_years_and_the_page_names_the_range_asked(page):
    _, text, conn = page
    labels = re.findall(r'text-anchor="(?:middle|end)">(\d{4}-\d\d-\d\d)</text>', text)
    assert labels and all(lab.startswith("2026-") for lab in labels)
    assert "(all history)" in text
    asked = render_page(conn, q.Period("2026-11-01T00:00:00Z", "2026-11-16T00:00:00Z"), now=NOW)
    assert "2026-11-01 – 2026-11-15 (asked: 2026-11-01 to 2026-11-15)" in asked
