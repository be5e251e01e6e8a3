"""Signed VERP return paths.

A sending tool sends the message to ``jane@example.org`` with the return path

    bounces+jane=example.org+20426.mfrggzdfmztwq2lk@bounces.sender.example

``bounces`` is the prefix, ``jane=example.org`` the recipient (its last "=" stands for the
"@"), ``20426`` the UTC day the tag was made (days since 1970-01-01) and the last 16
characters the tag: the first 10 bytes of

    HMAC-SHA256(secret, "bouncewatch-verp-1:" + lower(recipient) + ":" + day)

in RFC 4648 base32, lower case, without padding.  A bounce that comes back to such an address
names its recipient in a way nobody without the secret can forge.  Several secrets may be
configured: the first signs, every one verifies, so a secret is rotated by putting the new one
first and removing the old one once `verp_max_age` has passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DOMAIN_SEPARATOR = "bouncewatch-verp-1:"
TAG_BYTES = 10  #: 80 bits of the HMAC, 16 base32 characters
TAG_CHARS = 16
#: a tag dated this far after the verifier's clock still verifies (clock skew between hosts)
FUTURE_SKEW_DAYS = 1
_B32 = frozenset("abcdefghijklmnopqrstuvwxyz234567")
#: characters the recipient may hold to be encoded in a local part (RFC 5322 atext and ".")
_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~."
)


class SigningError(ValueError):
    """The address can't be put into a signed return path."""


@dataclass(frozen=True, slots=True)
class SignedPath:
    """A return path taken apart: what it says, and whether its tag verified."""

    address: str  #: the recipient it names (as written, lower case)
    day: int  #: UTC day of the signature
    valid: bool  #: the tag verified with one of the secrets and is inside the window
    problem: str | None = None  #: why not: "bad_tag", "expired", "future"


def day_of(when: datetime) -> int:
    """UTC days since 1970-01-01."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() // 86400)


def tag(secret: bytes, address: str, day: int) -> str:
    """The 16-character tag for `address` on `day`."""
    message = f"{DOMAIN_SEPARATOR}{address.strip().lower()}:{day}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:TAG_BYTES]
    return base64.b32encode(digest).decode("ascii").lower()


def sign(
    address: str, secrets: Sequence[bytes], when: datetime, *, prefix: str, domain: str
) -> str:
    """The signed return path for mail to `address` sent at `when` (first secret signs)."""
    if not secrets:
        raise SigningError("no VERP secret configured (trust.verp_secret_file)")
    a = address.strip()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1].strip()
    local, at, dom = a.rpartition("@")
    if not at or not local or not dom:
        raise SigningError(f"{address!r} is not an address (local@domain)")
    if not set(local) <= _ATEXT or local.startswith(".") or ".." in local or "+" in dom:
        raise SigningError(
            f"{address!r}: a quoted or unusual local part can't be carried in a return path"
        )
    if not set(dom.lower()) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-"):
        raise SigningError(f"{address!r}: the domain must be written in ASCII (IDNA: xn--…)")
    a = f"{local}@{dom}".lower()
    day = day_of(when)
    return f"{prefix}+{local.lower()}={dom.lower()}+{day}.{tag(secrets[0], a, day)}@{domain}"


def split(return_path: str) -> tuple[str, int, str] | None:
    """(recipient, day, tag) out of a return path of the signed shape, or None.

    Linear in the input: a few `partition`s, no regular expression."""
    a = return_path.strip()
    if a.startswith("<") and a.endswith(">"):
        a = a[1:-1].strip()
    local, at, _host = a.rpartition("@")
    if not at:
        return None
    _prefix, plus, rest = local.partition("+")
    if not plus:
        return None
    middle, plus, tagged = rest.rpartition("+")
    if not plus:
        return None
    day_text, dot, mac = tagged.partition(".")
    mac = mac.lower()
    if not dot or not day_text.isdigit() or len(day_text) > 7:
        return None
    if len(mac) != TAG_CHARS or not set(mac) <= _B32:
        return None
    rlocal, eq, rdomain = middle.rpartition("=")
    if not eq or not rlocal or not rdomain or "@" in rlocal:
        return None
    return f"{rlocal}@{rdomain}".lower(), int(day_text), mac


def verify(
    return_path: str, secrets: Sequence[bytes], now: datetime, max_age: timedelta
) -> SignedPath | None:
    """Check a return path of the signed shape; None when it isn't one.

    Valid when the tag matches under any of the secrets (constant-time comparison), the day
    is at most `max_age` in the past and at most one day in the future."""
    parts = split(return_path)
    if parts is None:
        return None
    address, day, mac = parts
    if not any(hmac.compare_digest(tag(s, address, day), mac) for s in secrets):
        return SignedPath(address, day, False, "bad_tag")
    today = day_of(now)
    if day > today + FUTURE_SKEW_DAYS:
        return SignedPath(address, day, False, "future")
    if today - day > max(1, max_age.days):
        return SignedPath(address, day, False, "expired")
    return SignedPath(address, day, True)


def first_signed(
    addresses: Sequence[str], secrets: Sequence[bytes], now: datetime, max_age: timedelta
) -> SignedPath | None:
    """The first of `addresses` (where the bounce was delivered) that has the signed shape:
    the valid one if any, else the first that failed (to say why), else None."""
    failed = None
    for candidate in addresses:
        found = verify(candidate, secrets, now, max_age)
        if found is not None and found.valid:
            return found
        if found is not None and failed is None:
            failed = found
    return failed


def strip_tag(domain: str) -> str:
    """A VERP-decoded domain without the signature a signed return path appends ("+…")."""
    return domain.partition("+")[0]


__all__ = [
    "SignedPath",
    "SigningError",
    "day_of",
    "first_signed",
    "sign",
    "split",
    "strip_tag",
    "tag",
    "verify",
]
