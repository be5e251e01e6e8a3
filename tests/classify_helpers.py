"""Shared by the classifier tests: the recipient a reply text is about."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
_ROLES = ("postmaster@", "abuse@", "mailer-daemon@", "hostmaster@", "support@")


def named(text: str | None, default: str = "jo@example.org") -> str:
    """The first address a reply names (a reply naming another address than the recipient
    is no evidence about the recipient), else `default`."""
    for found in _ADDRESS.findall(text or ""):
        if not found.lower().startswith(_ROLES):
            return found.strip(".")
    return default
