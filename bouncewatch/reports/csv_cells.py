"""CSV cells a spreadsheet will not run as formulas.

Addresses, domains, list sources and diagnostics come from bounces, which anyone can write:
a cell such as ``=HYPERLINK("http://…")`` or ``@SUM(…)`` opened in a spreadsheet is a formula.
A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'`` (what spreadsheets themselves use to mark text), as OWASP recommends.  Numbers
are left alone; the JSON and text exports keep every value exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with a leading "'" when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: safe_cell(v) for k, v in row.items()}


__all__ = ["FORMULA_STARTS", "safe_cell", "safe_dict", "safe_row"]
