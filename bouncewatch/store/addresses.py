"""The sender's own addresses and domains, in the one spelling of `bouncewatch.smtp.address`
(which decides an address's form, VERP decoding and the Original-Recipient choice once).
"""

from __future__ import annotations

from bouncewatch.smtp.address import domain_form, normalise
from bouncewatch.store.policy import PolicyConfig


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


__all__ = ["OwnAddresses", "domain_form", "normalise"]
