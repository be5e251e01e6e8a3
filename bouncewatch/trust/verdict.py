"""Per recipient of one bounce: is it authenticated, and may it change the address's state?

Pure: the caller hands over what the message says (the parse result), the addresses the
state would belong to, the signed return path it was delivered to (already verified) and the
recorded sent message its Message-ID names.  The rules, in order:

1. authenticated — the recipient is the one the signed return path names (``signed_verp``),
   or the returned Message-ID was recorded by ``bouncewatch sent`` and the recipient is one
   it was sent to (``known_message``; a message recorded without recipients covers any) —
   → trusted;
2. ``require = "known"`` or ``"signed"`` and not authenticated → ``not_authenticated``
   (``"signed"`` accepts a signed return path only: a known Message-ID is not enough);
3. a complaint from a sender that isn't a configured feedback loop → ``complaint_sender``;
4. more distinct unauthenticated addresses than ``max_recipients_per_message`` in one
   message → the ones past the limit are ``over_recipient_limit``;
5. otherwise trusted, ``unauthenticated`` (``require = "any"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bouncewatch.trust.settings import TrustConfig

TRUSTED_HOW = ("signed_verp", "known_message", "unauthenticated")
REFUSED_WHY = ("not_authenticated", "complaint_sender", "over_recipient_limit")


@dataclass(frozen=True, slots=True)
class KnownMessage:
    """A message `bouncewatch sent` recorded: its recipients (empty: not recorded)."""

    recipients: frozenset[str]

    def covers(self, address: str) -> bool:
        return not self.recipients or address in self.recipients


@dataclass(frozen=True, slots=True)
class Verdict:
    trusted: bool  #: may change the address's state
    how: str  #: TRUSTED_HOW when trusted, REFUSED_WHY when not

    @property
    def authenticated(self) -> bool:
        return self.how in ("signed_verp", "known_message")


SIGNED = Verdict(True, "signed_verp")
KNOWN = Verdict(True, "known_message")
OPEN = Verdict(True, "unauthenticated")


def sender_is_feedback_loop(sender: str | None, senders: Sequence[str]) -> bool:
    """`sender` (an address) is one of `senders` (addresses, or domains and their subdomains)."""
    if not sender or not senders:
        return False
    address = sender.strip().strip("<>").lower()
    domain = address.rpartition("@")[2]
    for s in senders:
        if "@" in s:
            if address == s:
                return True
        elif domain == s or domain.endswith("." + s):
            return True
    return False


def judge(
    addresses: Sequence[tuple[str, ...]],
    *,
    complaint: bool,
    trust: TrustConfig,
    signed_for: str | None = None,
    known: KnownMessage | None = None,
    sender: str | None = None,
) -> list[Verdict]:
    """One verdict per recipient.

    `addresses[i]` holds the normalised addresses recipient i stands for (the address the
    state belongs to first, then the reported one); `signed_for` the normalised address a
    verified signed return path names; `known` the sent message the bounce returns;
    `sender` the address the report came from (for complaints)."""
    out: list[Verdict] = []
    open_seen: set[str] = set()
    from_loop = complaint and sender_is_feedback_loop(sender, trust.complaint_senders)
    for names in addresses:
        if signed_for is not None and signed_for in names:
            out.append(SIGNED)
            continue
        if known is not None and trust.require != "signed" and any(known.covers(n) for n in names):
            out.append(KNOWN)
            continue
        if trust.require != "any":
            out.append(Verdict(False, "not_authenticated"))
            continue
        if complaint and not from_loop:
            out.append(Verdict(False, "complaint_sender"))
            continue
        key = names[0] if names else ""
        if key not in open_seen and len(open_seen) >= trust.max_recipients_per_message:
            out.append(Verdict(False, "over_recipient_limit"))
            continue
        open_seen.add(key)
        out.append(OPEN)
    return out


__all__ = ["REFUSED_WHY", "TRUSTED_HOW", "KnownMessage", "Verdict", "judge"]
