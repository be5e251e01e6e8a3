"""analyze: parse, then classify -- the one function every caller (the `parse` CLI, `ingest`,
the daemon's pass) runs over a raw message.  Pure, and never raises on bad input."""

from __future__ import annotations

from bouncewatch.classify import classify
from bouncewatch.model import (
    DEFAULT_PARSE_OPTIONS,
    DecodedMessage,
    ParseOptions,
    ParseResult,
    RecipientResult,
)
from bouncewatch.parse import decode_message


def analyze(
    data: bytes | bytearray | memoryview, options: ParseOptions = DEFAULT_PARSE_OPTIONS
) -> ParseResult:
    """Decode one raw message and classify each of its recipients.  Never raises on bad
    input: errors go into ParseResult.error."""
    try:
        # (an argument of another type: the compiled parser raises TypeError at the call)
        return classified(decode_message(data, options))
    except Exception as exc:
        return ParseResult(kind="not_bounce", detector="none", error=f"{type(exc).__name__}: {exc}")


def classified(decoded: DecodedMessage) -> ParseResult:
    """The ParseResult of a decoded message: its recipients classified, the rest as decoded."""
    said = decoded.said_commands or (None,) * len(decoded.reports)
    results = tuple(
        RecipientResult(
            r,
            classify(
                r, kind=decoded.kind, reporting_mta=decoded.reporting_mta, final=decoded.final
            ),
            said_command,
        )
        for r, said_command in zip(decoded.reports, said, strict=True)
    )
    return ParseResult(
        kind=decoded.kind,
        detector=decoded.detector,
        recipients=results,
        message_id=decoded.message_id,
        subject=decoded.subject,
        date=decoded.date,
        reporting_mta=decoded.reporting_mta,
        arrival_date=decoded.arrival_date,
        original_message_id=decoded.original_message_id,
        original_to=decoded.original_to,
        original_from=decoded.original_from,
        original_subject=decoded.original_subject,
        list_source=decoded.list_source,
        feedback_type=decoded.feedback_type,
        envelope_to=decoded.envelope_to,
        sender=decoded.sender,
        error=decoded.error,
        extra=decoded.extra,
    )


__all__ = ["analyze", "classified"]
