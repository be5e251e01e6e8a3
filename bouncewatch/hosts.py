"""Which host names are this machine: the one rule both the configuration and `connect` use."""

from __future__ import annotations

import ipaddress

#: names that resolve to the loopback interface on every system (``*.localhost`` is left out:
#: RFC 6761 asks resolvers to map it to loopback, but not every system resolver does)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """True when `host` names this machine (plain IMAP is only allowed there)."""
    name = host.strip().rstrip(".").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


__all__ = ["LOOPBACK_NAMES", "is_loopback"]
