"""Address normalisation: one spelling per mailbox, so counts and suppressions line up.

- the domain is case-insensitive, loses a trailing dot, and IDN domains are kept in one form:
  Unicode (U-labels, NFC, lower case) — ``xn--bcher-kva.example`` becomes ``bücher.example``;
- the local part is folded to lower case unless ``fold_local_part = false``;
- angle brackets, ``rfc822;`` prefixes and surrounding space are removed;
- a VERP return path (``bounces+jane=example.org@example.com``) is decoded to the address it
  carries, with the configured pattern.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

from bouncewatch.store.policy import PolicyConfig


def domain_form(domain: str) -> str:
    labels = []
    for label in domain.strip().rstrip(".").split("."):
        if label[:4].lower() == "xn--":
            with contextlib.suppress(UnicodeError, ValueError):
                label = label[4:].encode("ascii").decode("punycode")
        labels.append(unicodedata.normalize("NFC", label).lower())
    return ".".join(labels)


def normalise(
    address: str, *, fold_local_part: bool = True, verp: re.Pattern[str] | None = None
) -> tuple[str, str]:
    """Return (address, domain) in canonical form.  An address without '@' keeps domain ''."""
    a = address.strip()
    if ";" in a[:12] and a.split(";", 1)[0].strip().lower() in ("rfc822", "utf-8", "x-local"):
        a = a.split(";", 1)[1].strip()
    a = a.strip("<>").strip()
    if verp is not None:
        m = verp.match(a)
        if m and m.group("local") and m.group("domain"):
            a = f"{m.group('local')}@{m.group('domain')}"
    local, at, domain = a.rpartition("@")
    if not at:
        return (a.lower() if fold_local_part else a), ""
    domain = domain_form(domain)
    if fold_local_part:
        local = local.lower()
    return f"{local}@{domain}", domain


class OwnAddresses:
    """The sender's own addresses and domains (bounces for them never suppress them)."""

    def __init__(self, policy: PolicyConfig) -> None:
        fold = policy.fold_local_part
        self.domains = frozenset(domain_form(d) for d in policy.own_domains)
        self.addresses = frozenset(
            normalise(a, fold_local_part=fold)[0] for a in policy.own_addresses
        )

    def __contains__(self, address_and_domain: tuple[str, str]) -> bool:
        address, domain = address_and_domain
        if address in self.addresses:
            return True
        if not self.domains or not domain:
            return False
        return domain in self.domains or any(domain.endswith("." + d) for d in self.domains)
