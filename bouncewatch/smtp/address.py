"""Addresses, decided once: the one spelling of a mailbox, the recipient a VERP return path
carries, and which of a report's addresses is the one the sender used.

- the domain is case-insensitive, loses a trailing dot, and IDN domains are kept in one form:
  Unicode (U-labels, NFC, lower case) -- ``xn--bcher-kva.example`` becomes ``bücher.example``;
- the local part is folded to lower case unless ``fold_local_part`` is false;
- angle brackets, ``rfc822;`` prefixes and surrounding space are removed;
- a VERP return path (``bounces+jane=example.org@example.com``) is decoded to the address it
  carries, with the configured pattern (`decode_verp`: the same rule wherever it is read --
  the bounce's envelope headers in `parse.verp`, a reported address in the store);
- a report about an alias or a forwarded address is kept against the address on the
  sender's list: RFC 3464 Original-Recipient, Exim's "generated from" (`sent_to`).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

#: an address worth keeping state for: one "@", no spaces, and not an Exchange-encapsulated
#: (IMCEA…) form
_PLAIN_ADDRESS = re.compile(r"(?!imcea)[^@\s]+@[^@\s]+", re.IGNORECASE)
_ADDRESS_TYPES = ("rfc822", "utf-8", "x-local")


def domain_form(domain: str) -> str:
    """The one spelling of a domain: no trailing dot, Unicode labels (NFC), lower case."""
    lowered = domain.lower()
    if lowered.isascii() and "xn--" not in lowered:
        # the usual domain: no label to decode, and NFC leaves ASCII as it is
        return lowered.strip().rstrip(".")
    return _domain_form_labels(domain)


def _domain_form_labels(domain: str) -> str:
    """`domain_form` label by label (IDN labels decoded, each label normalised)."""
    labels = []
    for label in domain.strip().rstrip(".").split("."):
        if label[:4].lower() == "xn--":
            with contextlib.suppress(UnicodeError, ValueError):
                label = label[4:].encode("ascii").decode("punycode")
        labels.append(unicodedata.normalize("NFC", label).lower())
    return ".".join(labels)


def decode_verp(value: str, pattern: re.Pattern[str]) -> str | None:
    """The recipient `pattern` finds encoded in `value` (named groups ``address``, or
    ``local`` and ``domain``), or None."""
    m = pattern.search(value)
    if m is None:
        return None
    groups = m.groupdict()
    if groups.get("address"):
        address = groups["address"]
    elif groups.get("local") and groups.get("domain"):
        address = f"{groups['local']}@{groups['domain']}"
    else:
        return None
    address = address.strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if at and "+" in domain:  # a signed return path: "…=example.org+20426.tag@" (docs/trust.md)
        address = f"{local}@{domain.partition('+')[0]}"
    return address if "@" in address and " " not in address else None


def normalise(
    address: str, *, fold_local_part: bool = True, verp: re.Pattern[str] | None = None
) -> tuple[str, str]:
    """Return (address, domain) in canonical form.  An address without '@' keeps domain ''."""
    a = address.strip()
    if ";" in a[:12] and a.split(";", 1)[0].strip().lower() in _ADDRESS_TYPES:
        a = a.split(";", 1)[1].strip()
    a = a.strip("<>").strip()
    if verp is not None:
        a = decode_verp(a, verp) or a
    local, at, domain = a.rpartition("@")
    if not at:
        return (a.lower() if fold_local_part else a), ""
    domain = domain_form(domain)
    if fold_local_part:
        local = local.lower()
    return f"{local}@{domain}", domain


def sent_to(
    address: str,
    original_recipient: str | None,
    *,
    fold_local_part: bool = True,
    verp: re.Pattern[str] | None = None,
) -> tuple[str, str]:
    """(address, domain) a report's state belongs to: the address the sender used.

    A report about an alias or a forwarded address names the final mailbox in `address` and
    the address on the sender's list in `original_recipient`; suppressing the final one would
    change nothing on that list.  An original that is no plain address is not used.
    """
    if original_recipient:
        original, domain = normalise(original_recipient, fold_local_part=fold_local_part, verp=verp)
        if "." in domain and _PLAIN_ADDRESS.fullmatch(original):
            return original, domain
    return normalise(address, fold_local_part=fold_local_part, verp=verp)
