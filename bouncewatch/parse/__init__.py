"""Parsing: bytes in, ParseResult out.  Pure: no database, no network."""

from bouncewatch.parse.api import parse_message

__all__ = ["parse_message"]
