"""Making every text that goes into the database storable: SQLite cannot store lone
surrogates (what os.fsdecode and the stdlib parser make of bytes that are not UTF-8)."""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter
from typing import Any

from bouncewatch.model import ParseResult, RawMessage


def _needs_scrub(value: str | None) -> bool:
    if not value or value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _scrub(value: str | None) -> str | None:
    """Lone surrogates (what os.fsdecode and the stdlib parser make of bytes that are not
    UTF-8) → U+FFFD: SQLite cannot store them, and one such field must not stop a message."""
    if not _needs_scrub(value):
        return value
    assert value is not None
    try:  # surrogate-escaped bytes: back to the bytes, then each invalid one replaced
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)


_RESULT_TEXT = (
    "kind", "detector", "message_id", "subject", "date", "reporting_mta", "arrival_date",
    "original_message_id", "list_source", "error",
)  # fmt: skip
_REPORT_TEXT = (
    "address", "action", "status", "diagnostic", "remote_mta", "last_attempt_date",
)  # fmt: skip
_CLASS_TEXT = ("bounce_type", "reason", "rule")


_result_text = attrgetter(*_RESULT_TEXT)
_report_text = attrgetter(*_REPORT_TEXT)
_class_text = attrgetter(*_CLASS_TEXT)


def _all_ascii(result: ParseResult) -> bool:
    """Whether every text of `result` that goes into the database is ASCII (the usual case:
    nothing to scrub), found with one test over all of them."""
    texts = [*filter(None, _result_text(result))]
    for item in result.recipients:
        texts += filter(None, _report_text(item.report))
        texts += filter(None, _class_text(item.classification))
    return "".join(texts).isascii()


def scrubbed(raw: RawMessage, result: ParseResult) -> tuple[RawMessage, ParseResult]:
    """The message and result with every text that goes into the database storable."""
    if raw.source.isascii() and (raw.received_at or "").isascii() and _all_ascii(result):
        return raw, result
    if _needs_scrub(raw.source) or _needs_scrub(raw.received_at):
        raw = replace(raw, source=_scrub(raw.source) or "", received_at=_scrub(raw.received_at))
    fix: dict[str, Any] = {
        n: _scrub(getattr(result, n)) for n in _RESULT_TEXT if _needs_scrub(getattr(result, n))
    }
    recipients = []
    for item in result.recipients:
        rep, cls = item.report, item.classification
        rep_fix: dict[str, Any] = {
            n: _scrub(getattr(rep, n)) for n in _REPORT_TEXT if _needs_scrub(getattr(rep, n))
        }
        cls_fix: dict[str, Any] = {
            n: _scrub(getattr(cls, n)) for n in _CLASS_TEXT if _needs_scrub(getattr(cls, n))
        }
        if rep_fix or cls_fix:
            item = replace(
                item, report=replace(rep, **rep_fix), classification=replace(cls, **cls_fix)
            )
            fix["recipients"] = None
        recipients.append(item)
    if not fix:
        return raw, result
    fix["recipients"] = tuple(recipients)
    return raw, replace(result, **fix)
