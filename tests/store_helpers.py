"""Building parse results for store tests (the parser has its own tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from bouncewatch.model import (
    Classification,
    ParseResult,
    RawMessage,
    RecipientReport,
    RecipientResult,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)

TYPES = {
    "hard": ("user_unknown", "5.1.1", 550, "failed"),
    "soft": ("mailbox_full", "4.2.2", 452, "failed"),
    "block": ("blocked", "5.7.1", 554, "failed"),
    "delayed": ("delayed", "4.4.7", None, "delayed"),
    "delivered": ("delivered", "2.0.0", 250, "delivered"),
}


def recipient(address: str, kind: str = "hard", date: str | None = None) -> RecipientResult:
    reason, status, code, action = TYPES[kind]
    btype = kind if kind in ("hard", "soft", "block") else "none"
    report = RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=code,
        diagnostic=f"{code} {status} test diagnostic for {address}",
        remote_mta="mx.example.org",
        last_attempt_date=date,
    )
    return RecipientResult(report, Classification(btype, reason, f"status:{status}"))


def dsn(*recipients: RecipientResult, date: str | None = None, kind: str = "dsn") -> ParseResult:
    return ParseResult(
        kind=kind,
        detector="rfc3464",
        recipients=tuple(recipients),
        message_id="<bounce@mx.example.net>",
        date=date,
        reporting_mta="mx.example.net",
        list_source="spring-sale",
    )


def raw(tag: str, **kw: object) -> RawMessage:
    return RawMessage(data=f"Subject: {tag}\n\nbody {tag}\n".encode(), source="test", **kw)  # type: ignore[arg-type]
