"""The shared fixture harness: every fixtures/<source>/<name>.eml against the <name>.json beside it.

Each fixture is parsed as written, and again with CRLF and with bare-CR line endings (the
result must not change).  fixtures/unsupported/ pins what the parser currently gives for
formats it cannot read yet.  Expectation format: see the project README ("Fixtures").
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bouncewatch.analyze import analyze
from bouncewatch.model import DEFAULT_PARSE_OPTIONS, KINDS, REASONS, ParseResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EMLS = sorted(FIXTURES.rglob("*.eml"))
JSONS = sorted(FIXTURES.rglob("*.json"))

#: as `parse --json` reads: with the SMTP command wherever the report says it (`smtp_command`)
OPTIONS = replace(DEFAULT_PARSE_OPTIONS, said_commands=True)
REQUIRED_RECIPIENT_KEYS = ("address", "action", "status", "smtp_code", "bounce_type", "reason")
OPTIONAL_RECIPIENT_KEYS = (
    "remote_mta",
    "diagnostic",
    "diagnostic_contains",
    "rule",
    "expired",
    "smtp_command",
)
#: top-level keys an expectation may carry besides kind/recipients (checked when present)
OPTIONAL_KEYS = (
    "detector",
    "original_message_id",
    "list_source",
    "feedback_type",
    "reporting_mta",
    "arrival_date",
    "date",
    "message_id",
    "subject",
    "original_to",
    "original_from",
    "original_subject",
    "error_contains",
)


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES).with_suffix(""))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def with_line_endings(data: bytes, eol: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", eol)


def check(result: ParseResult, expect: dict[str, Any]) -> None:
    """Compare a result with an expectation; the message names the first difference."""
    unknown = set(expect) - {"kind", "recipients", *OPTIONAL_KEYS}
    assert not unknown, f"unknown expectation keys {sorted(unknown)}"
    assert result.kind == expect["kind"], f"kind {result.kind!r} (error={result.error!r})"
    for key in OPTIONAL_KEYS:
        if key not in expect:
            continue
        if key == "error_contains":
            assert result.error and expect[key] in result.error, f"error {result.error!r}"
            continue
        got = getattr(result, key)
        got = list(got) if isinstance(got, tuple) else got
        assert got == expect[key], f"{key}: {got!r} != {expect[key]!r}"
    got_rcpts = [r.to_json() for r in result.recipients]
    want = expect["recipients"]
    assert [r["address"] for r in got_rcpts] == [w["address"] for w in want], "recipients differ"
    for got, w in zip(got_rcpts, want, strict=True):
        unknown = set(w) - {*REQUIRED_RECIPIENT_KEYS, *OPTIONAL_RECIPIENT_KEYS}
        assert not unknown, f"unknown recipient keys {sorted(unknown)}"
        missing = [k for k in REQUIRED_RECIPIENT_KEYS if k not in w]
        assert not missing, f"expectation lacks {missing}"
        for key in (
            *REQUIRED_RECIPIENT_KEYS, "remote_mta", "diagnostic", "rule", "expired", "smtp_command"
        ):  # fmt: skip
            if key in w:
                assert got[key] == w[key], (
                    f"{w['address']}: {key} {got[key]!r} != {w[key]!r} ({got})"
                )
        if "diagnostic_contains" in w:
            assert w["diagnostic_contains"] in (got["diagnostic"] or ""), (
                f"{w['address']}: diagnostic {got['diagnostic']!r}"
            )


def expectation(path: Path) -> dict[str, Any]:
    data = load(path)
    return data["currently"] if path.parent.name == "unsupported" else data


@pytest.mark.parametrize("path", EMLS, ids=_id)
def test_fixture(path: Path) -> None:
    check(analyze(path.read_bytes(), OPTIONS), expectation(path))


@pytest.mark.parametrize("eol", [b"\r\n", b"\r"], ids=["crlf", "cr"])
@pytest.mark.parametrize("path", EMLS, ids=_id)
def test_fixture_line_endings(path: Path, eol: bytes) -> None:
    check(analyze(with_line_endings(path.read_bytes(), eol), OPTIONS), expectation(path))


def test_every_eml_has_json_and_back() -> None:
    emls = {p.with_suffix("") for p in EMLS}
    jsons = {p.with_suffix("") for p in JSONS}
    assert emls, "no fixtures found"
    assert sorted(map(str, emls - jsons)) == [], "fixtures without expectation"
    assert sorted(map(str, jsons - emls)) == [], "expectations without fixture"


def test_fixture_names_follow_the_folder() -> None:
    wrong = [_id(p) for p in EMLS if not p.stem.startswith(p.parent.name + "-")]
    assert wrong == []
    stems = [p.stem for p in EMLS]
    assert sorted(s for s in set(stems) if stems.count(s) > 1) == [], "fixture names repeat"


#: fixture folders by kind: what reads a folder's messages is in its path
GROUPS = ("formats", "providers", "dsn")
SINGLE = ("negative", "arf", "autoreply", "verp", "verp-only", "forwarded", "broken", "unsupported")


def test_fixtures_are_grouped_by_kind() -> None:
    """formats/<decoder>/ (read by that decoder), providers/<provider>/ (a provider's own
    reports), dsn/<mta>/ (RFC 3464 reports as an MTA writes them), and single folders for
    messages of other kinds."""
    wrong = []
    for eml in EMLS:
        parts = eml.relative_to(FIXTURES).parts
        if not (
            (len(parts) == 3 and parts[0] in GROUPS) or (len(parts) == 2 and parts[0] in SINGLE)
        ):
            wrong.append(_id(eml))
    assert wrong == []


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("unsupported/*.json")), ids=_id)
def test_unsupported_pins_a_real_gap(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) >= {"expected", "currently"}
    assert data["expected"] != data["currently"], "parser handles it now: move it to its folder"


def _all_expectations() -> list[dict[str, Any]]:
    return [expectation(p) for p in EMLS]


def test_every_kind_has_a_fixture() -> None:
    seen = {e["kind"] for e in _all_expectations()}
    assert sorted(set(KINDS) - seen) == []


def test_every_reason_has_a_fixture() -> None:
    seen = {r["reason"] for e in _all_expectations() for r in e["recipients"]}
    assert sorted(set(REASONS) - seen) == []
