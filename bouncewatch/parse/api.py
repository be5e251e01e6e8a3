"""PLACEHOLDER (owned by the parser work): parse_message(data, options) -> ParseResult."""

from __future__ import annotations

from bouncewatch.model import DEFAULT_PARSE_OPTIONS, ParseOptions, ParseResult


def parse_message(data: bytes, options: ParseOptions = DEFAULT_PARSE_OPTIONS) -> ParseResult:
    """Parse one raw message.  Never raises on bad input: errors go into ParseResult.error."""
    raise NotImplementedError
