"""Addresses out of the raw envelope header values a parse result keeps (`envelope_to`,
`sender`): taken out only when a check needs them."""

from __future__ import annotations

from collections.abc import Iterable


def _text(value: str) -> str:
    """compat32 keeps raw 8-bit bytes as surrogate escapes: read them as UTF-8."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def addresses_in(values: Iterable[str]) -> list[str]:
    """The addresses in raw address-header values: the part in <…> of each comma-separated
    item, or the item itself; items without an "@" are dropped.  Linear in the input (no
    regular expression): good enough for the machine-written headers it is used on."""
    out = []
    for value in values:
        for item in _text(value).split(","):
            lt = item.rfind("<")
            if lt >= 0:
                item = item[lt + 1 :].partition(">")[0]
            item = item.strip()
            if "@" in item and " " not in item:
                out.append(item)
    return out


def first_address(value: str | None) -> str | None:
    found = addresses_in((value,)) if value else []
    return found[0] if found else None


__all__ = ["addresses_in", "first_address"]
