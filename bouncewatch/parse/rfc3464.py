"""RFC 3464 delivery status notifications, and RFC 6533 global (UTF-8) ones.

Finds every message/delivery-status (or message/global-delivery-status) part, whatever the
report-type says; reads each recipient's fields; merges duplicated recipient blocks; and when
the machine-readable status is generic (Microsoft 365 sends "5.0.0" or nothing while its
HTML says "550 5.1.10 RESOLVER.ADR.RecipientNotFound…") recovers the real status and
diagnostic from the human-readable part.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, replace
from email.message import Message
from functools import partial
from typing import Any, cast

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.dsn_fields import (
    Block,
    clean_address,
    clean_host,
    parse_blocks,
    strip_type,
    text_blocks,
)
from bouncewatch.parse.headers import iso_date, raw
from bouncewatch.parse.mime import (
    container_text,
    content_type,
    human_texts,
    part_text,
    status_blocks,
    typed_parts,
)
from bouncewatch.parse.text import (
    explanation_after,
    extract_reply_code,
    extract_status,
    find_code_lines,
    is_generic_status,
    squash,
)

_STATUS_PART_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ACTIONS = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})
_ACTION_ALIASES = {"failure": "failed", "delay": "delayed", "deliver": "delivered"}
_ACTION_RANK = {"failed": 3, "delayed": 2, "delivered": 1, "relayed": 1, "expanded": 1}
_CLASS_ACTION = {"5": "failed", "4": "delayed", "2": "delivered"}
_FIELD_HINT_RE = re.compile(r"^(?:final|original)-recipient\s*:", re.I | re.M)


class RFC3464:
    """Standard delivery status notifications (multipart/report; report-type=delivery-status)."""

    name = "rfc3464"

    def detect(self, msg: Message) -> Detection | None:
        if not msg.is_multipart():
            if content_type(msg) in _STATUS_PART_TYPES:
                return self._decode(msg, _blocks(msg))
            return None
        blocks = [
            b for ctype, p in typed_parts(msg) if ctype in _STATUS_PART_TYPES for b in _blocks(p)
        ]
        if not blocks and _is_report(msg):
            # report-type=delivery-status but the status part is mislabelled (text/plain)
            blocks = [
                b
                for p in cast(list[Message], msg.get_payload())[1:2]
                if isinstance(p, Message) and not p.is_multipart()
                for t in [part_text(p)]
                if _FIELD_HINT_RE.search(t)
                for b in text_blocks(t)
            ]
        if not blocks:
            return None
        return self._decode(msg, blocks)

    def _decode(self, msg: Message, blocks: list[Block]) -> Detection | None:
        per_message, groups = parse_blocks(blocks)
        reports = [r for r in (_recipient(g) for g in groups) if r is not None]
        reports = merge_duplicates(reports)
        needs = [_needs_recovery(r) for r in reports]
        if any(needs):
            reports = _recover_from_text(msg, reports, needs)
        return Detection(
            kind="dsn",
            recipients=reports,
            reporting_mta=clean_host(per_message.get("reporting-mta")),
            arrival_date=iso_date(per_message.get("arrival-date")),
            final=any(r.action == "delayed" for r in reports) and _from_nullmailer(msg),
        )


def _from_nullmailer(msg: Message) -> bool:
    """A nullmailer DSN: its Message-Id ends ".nullmailer@host" (and it is received by
    "(nullmailer pid …")."""
    message_id = raw(msg, "Message-Id") or ""
    received = raw(msg, "Received") or ""
    return ".nullmailer@" in message_id or received.startswith("(nullmailer pid ")


def _blocks(part: Message) -> list[Block]:
    """A status part's field blocks: as the stdlib parsed them, or re-read from its text."""
    blocks = status_blocks(part)
    return blocks if blocks is not None else text_blocks(container_text(part))


def _is_report(msg: Message) -> bool:
    return (
        content_type(msg) == "multipart/report"
        and str(msg.get_param("report-type", "")).lower() == "delivery-status"
        and isinstance(msg.get_payload(), list)
    )


def _recipient(group: dict[str, str]) -> RecipientReport | None:
    original = clean_address(group.get("original-recipient"), xtext=True)
    final = clean_address(group.get("final-recipient"))
    if final and original and "@" in original and _encapsulated(final):
        final = None  # the address the sender used, not Exchange's internal form of it
    address = final or original or clean_address(group.get("x-actual-recipient"))
    if not address or ("@" not in address and " " in address):
        return None
    diagnostic = strip_type(group.get("diagnostic-code"))  # squashed by strip_type
    status = extract_status(group.get("status"))
    diag_status = extract_status(diagnostic)
    if diag_status and (
        status is None
        or (is_generic_status(status) and diag_status[0] == status[0])
        or _truncated(status, diag_status)
    ):
        status = diag_status
    action = (group.get("action") or "").strip().lower().split(" ")[0].rstrip(";") or None
    action = _ACTION_ALIASES.get(action, action) if action else None
    if action not in _ACTIONS:
        action = _CLASS_ACTION.get(status[0]) if status else None
    return RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=extract_reply_code(diagnostic),
        diagnostic=diagnostic,
        remote_mta=clean_host(group.get("remote-mta")),
        original_recipient=original if original and original != address else None,
        last_attempt_date=iso_date(group.get("last-attempt-date")),
        will_retry_until=iso_date(group.get("will-retry-until")),
    )


def _encapsulated(address: str) -> bool:
    """An Exchange-encapsulated address ("IMCEAEX-_O=ORG_OU=…_CN=JDOE@example.org", the X.500
    name of a mailbox; "IMCEAINVALID-…"): no address anyone sends to, so a DSN that gives it
    as Final-Recipient is better read by its Original-Recipient."""
    return address[:5].upper() == "IMCEA"


def _truncated(status: str, diag_status: str) -> bool:
    """A Status field cut short (nullmailer writes "5.7.2" for the reply's "5.7.23")."""
    return (
        len(diag_status) > len(status)
        and diag_status.startswith(status)
        and diag_status.count(".") == 2
        and "." not in diag_status[len(status) :]
    )


def _score(r: RecipientReport) -> tuple[int, int, int, int]:
    return (
        _ACTION_RANK.get(r.action or "", 0),
        1 if r.diagnostic else 0,
        0 if is_generic_status(r.status) else 1,
        1 if r.smtp_code else 0,
    )


def merge_duplicates(reports: list[RecipientReport]) -> list[RecipientReport]:
    """One report per address (first position kept): the most severe/informative block wins,
    its empty fields filled from the others of the same action."""
    chosen: dict[str, RecipientReport] = {}
    for r in reports:
        key = r.address.lower()
        old = chosen.get(key)
        if old is None:
            chosen[key] = r
            continue
        best, other = (r, old) if _score(r) > _score(old) else (old, r)
        if best.action == other.action:
            best = _fill(best, other)
        chosen[key] = best
    return list(chosen.values())


def _fill(best: RecipientReport, other: RecipientReport) -> RecipientReport:

    missing = {
        f.name: getattr(other, f.name)
        for f in fields(best)
        if getattr(best, f.name) is None and getattr(other, f.name) is not None
    }
    return replace(best, **missing) if missing else best


def _needs_recovery(r: RecipientReport) -> bool:
    return r.action in ("failed", "delayed", None) and (
        is_generic_status(r.status)
        or not r.diagnostic
        or extract_status(r.diagnostic) is None
        or _incomplete(r.diagnostic)
    )


def _incomplete(diag: str | None) -> bool:
    """A multi-line reply cut after its first line: "550-5.7.26 …" with no "550 " line."""
    m = _MULTILINE_RE.match(diag or "")
    return m is not None and f"{m.group(1)} " not in (diag or "")[4:]


#: "550-5.7.26 …": the first line of a multi-line reply (Sendmail keeps only that one)
_MULTILINE_RE = re.compile(r"([245]\d\d)-")
_TRANSCRIPT_PREFIX_RE = re.compile(r"^\s*(?:<<<\s*)?")


#: a reply received from the remote server in a Sendmail-style transcript
_REMOTE_REPLY_RE = re.compile(r"^<<<\s*([45]\d\d)[ -](.*)$", re.M)


def _remote_reply(text: str) -> tuple[int, str] | None:
    """(code, whole reply) of the last 4xx/5xx reply in a session transcript, or None."""
    found = _REMOTE_REPLY_RE.findall(text)
    if not found:
        return None
    code = found[-1][0]
    block: list[str] = []
    for reply_code, rest in reversed(found):
        if reply_code != code:
            break
        block.append(rest.strip())
    return int(code), squash(f"{code} " + " ".join(reversed(block))) or code


def _completed(r: RecipientReport, text: str) -> RecipientReport | None:
    """The whole multi-line reply when the diagnostic holds only its first line and the
    transcript in the text part has the rest."""

    diag = r.diagnostic or ""
    m = _MULTILINE_RE.match(diag)
    if m is None:
        return None
    code = m.group(1)
    lines = text.split("\n")
    head = diag[:60]
    for i, line in enumerate(lines):
        if head not in " ".join(line.split()):
            continue
        reply = []
        for follow in lines[i:]:
            bare = _TRANSCRIPT_PREFIX_RE.sub("", follow, count=1)
            if not bare.startswith(code):
                break
            reply.append(bare)
            if bare[3:4] != "-":
                break
        if len(reply) > 1:
            return replace(r, diagnostic=squash(" ".join(reply)))
    return None


def _explained(r: RecipientReport, text: str) -> RecipientReport:
    """No Diagnostic-Code (Exim puts the reason only in its text part): take the text that
    follows the address in the human-readable part."""

    explanation = explanation_after(text, r.address)
    if not explanation:
        return r
    status = r.status
    found = extract_status(explanation)
    if found and is_generic_status(status) and (status is None or found[0] == status[0]):
        status = found
    return replace(
        r, diagnostic=explanation, status=status, smtp_code=extract_reply_code(explanation)
    )


#: an explanation that is a server reply: "550 5.1.1 …", "550-5.7.26 …", "5.1.1 …"
_REPLY_START_RE = re.compile(r"(?:[245]\d\d(?:[ -]|$)|[245]\.\d{1,3}\.\d{1,3}\b)")


def _replied(r: RecipientReport, text: str) -> RecipientReport | None:
    """`r` with the explanation that follows its address in `text` ("a@b: 550 5.1.1 <a@b>:
    Recipient address rejected: …") when that explanation is a server reply: it starts with a
    reply code or status agreeing with the status part (a precise status is never
    overridden).  None otherwise."""

    explanation = explanation_after(text, r.address)
    if not explanation or not _REPLY_START_RE.match(explanation):
        return None
    found = extract_status(explanation)
    code = extract_reply_code(explanation)
    if found is None and code is None:
        return None
    status = r.status
    if found is not None:
        if status is not None and found[0] != status[0]:
            return None  # another class than the status part says: not this reply
        if is_generic_status(status):
            status = found
        elif found != status:
            return None
    if code is not None and status is not None and str(code)[0] != status[0]:
        return None
    changes: dict[str, Any] = {"diagnostic": explanation, "status": status, "smtp_code": code}
    if r.action is None and status is not None:
        changes["action"] = _CLASS_ACTION.get(status[0])
    return replace(r, **changes)


def _recover_from_text(
    msg: Message, reports: list[RecipientReport], needs: list[bool] | None = None
) -> list[RecipientReport]:
    """Fill a generic status/diagnostic from "550 5.1.10 …" phrases in the human-readable
    parts (plain text first; the HTML part is decoded only if the plain one has nothing).
    `needs`: `_needs_recovery` of each report, when the caller has it already."""
    texts = _Lazy(human_texts(msg))
    if needs is None:
        needs = [_needs_recovery(r) for r in reports]
    out = []
    for r, need in zip(reports, needs, strict=True):
        if not need:
            out.append(r)
            continue
        fixed = None
        if _incomplete(r.diagnostic):
            fixed = next((c for c in map(partial(_completed, r), texts) if c is not None), None)
            out.append(fixed or r)
            continue
        if not r.diagnostic:
            # no Diagnostic-Code (OpenSMTPD): the reply the text gives after the address, whole
            fixed = next((c for c in map(partial(_replied, r), texts) if c is not None), None)
        for text in texts if fixed is None else ():
            fixed = _from_codes(r, text, several=len(reports) > 1)
            if fixed is not None:
                break
        if fixed is None and not r.diagnostic:
            for text in texts:
                fixed = _explained(r, text)
                if fixed is not r:
                    break
        out.append(fixed or r)
    return out


def _from_codes(r: RecipientReport, text: str, *, several: bool) -> RecipientReport | None:
    """`r` with the status, reply code and phrase of the best "550 5.1.10 …" in `text`."""

    scope = text
    if several:  # several recipients: only the text after this address
        pos = text.lower().find(r.address.lower())
        if pos < 0:
            return None
        scope = text[pos : pos + 2000]
    if not is_generic_status(r.status):
        # the status part was precise but says nothing more (Sendmail): the receiver's reply
        # from the session transcript ("<<< 421-4.7.28 …"), else a phrase with that very
        # status -- whose code is then the reporting MTA's own, not a receiver's reply
        reply = _remote_reply(scope)
        if reply is not None:
            return replace(r, diagnostic=reply[1], smtp_code=reply[0])
        same = next((c for c in find_code_lines(scope) if c[1] == r.status), None)
        return replace(r, diagnostic=same[2]) if same is not None else None
    found = [
        c
        for c in find_code_lines(scope)
        if r.status is None or c[1][0] == r.status[0] or r.action is None
    ]
    specific = [c for c in found if not is_generic_status(c[1])]
    pick = (specific or found or [None])[0]  # type: ignore[list-item]
    if pick is None or (is_generic_status(pick[1]) and r.diagnostic):
        return None
    code, status, phrase = pick
    replacement: dict[str, Any] = {"status": status, "smtp_code": code}
    if not r.diagnostic or extract_status(r.diagnostic) in (None, r.status):
        replacement["diagnostic"] = phrase
    if r.action is None:
        replacement["action"] = _CLASS_ACTION.get(status[0])
    return replace(r, **replacement)


class _Lazy:
    """Iterate a generator several times, computing each item once."""

    def __init__(self, source: Iterator[str]) -> None:
        self._source: Iterator[str] | None = source
        self._items: list[str] = []

    def __iter__(self) -> Iterator[str]:
        yield from self._items
        while self._source is not None:
            item = next(self._source, None)
            if item is None:
                self._source = None
                return
            self._items.append(item)
            if item:
                yield item
