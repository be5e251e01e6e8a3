"""RFC 3464 delivery status notifications, and RFC 6533 global (UTF-8) ones.

Finds every message/delivery-status (or message/global-delivery-status) part, whatever the
report-type says; reads each recipient's fields; merges duplicated recipient blocks; and when
the machine-readable status is generic (Microsoft 365 sends "5.0.0" or nothing while its
HTML says "550 5.1.10 RESOLVER.ADR.RecipientNotFound…") recovers the real status and
diagnostic from the human-readable part.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from email.message import Message
from typing import cast

from bouncewatch.model import ACTIONS, RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.dsn_fields import (
    Block,
    clean_address,
    clean_host,
    mailbox_address,
    parse_blocks,
    strip_type,
    text_blocks,
)
from bouncewatch.parse.dsn_recovery import CLASS_ACTION as _CLASS_ACTION
from bouncewatch.parse.dsn_recovery import needs_recovery as _needs_recovery
from bouncewatch.parse.dsn_recovery import recover_from_text as _recover_from_text
from bouncewatch.parse.dsn_recovery import with_commands
from bouncewatch.parse.headers import address_list, iso_date, raw, raw_all, unescape
from bouncewatch.parse.mime import (
    container_text,
    content_type,
    part_text,
    status_blocks,
    typed_parts,
)
from bouncewatch.parse.text import (
    extract_reply_code,
    extract_status,
    is_generic_status,
)

_STATUS_PART_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ACTION_ALIASES = {"failure": "failed", "delay": "delayed", "deliver": "delivered"}
_ACTION_RANK = {"failed": 3, "delayed": 2, "delivered": 1, "relayed": 1, "expanded": 1}
_STATUS_COMMENT_RE = re.compile(r"^\s*[245]\.\d{1,3}\.\d{1,3}\s*\(([^()]*[A-Za-z]{3}[^()]*)\)")
_FIELD_HINT_RE = re.compile(r"^(?:final|original)-recipient\s*:", re.I | re.M)


class RFC3464:
    """Standard delivery status notifications (multipart/report; report-type=delivery-status)."""

    name = "rfc3464"

    def detect(self, msg: Message) -> Detection | None:
        if not msg.is_multipart():
            ctype = content_type(msg)
            if ctype in _STATUS_PART_TYPES:
                return self._decode(msg, _blocks(msg))
            if ctype == "multipart/report" and _reports_delivery_status(msg):
                # a boundary that never occurs: the stdlib leaves the whole body unsplit,
                # status fields and all
                try:
                    body = msg.get_payload()
                except (UnicodeError, LookupError):
                    # 8-bit bytes under a charset whose codec refuses errors="replace" (idna)
                    payload = msg._payload  # type: ignore[attr-defined]
                    body = unescape(payload) if isinstance(payload, str) else None
                if isinstance(body, str) and _FIELD_HINT_RE.search(body):
                    blocks = text_blocks(body)
                    return self._decode(msg, blocks) if blocks else None
            return None
        parts = typed_parts(msg)
        blocks = [b for ctype, p in parts if ctype in _STATUS_PART_TYPES for b in _blocks(p)]
        # (the first part is `msg` itself, with its content type)
        if not blocks and parts[0][0] == "multipart/report" and _reports_delivery_status(msg):
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
        reports = []
        for group in groups:
            report = _recipient(group, msg)
            if report is not None:
                reports.append(report)
        header_recipients = False
        if not reports:
            failed = _x_failed_recipients(msg)
            if failed:
                # a DSN that names nobody (Google Groups, a DSN with only per-message fields):
                # the X-Failed-Recipients header does
                header_recipients = True
                reports = [RecipientReport(address=a, action="failed") for a in failed]
        if len(reports) > 1:  # (one report is its own merge)
            reports = merge_duplicates(reports)
        needs = [_needs_recovery(r) for r in reports]
        if any(needs):
            reports = _recover_from_text(msg, reports, needs)
        reports = with_commands(reports, msg)
        return Detection(
            kind="dsn",
            recipients=reports,
            reporting_mta=clean_host(per_message.get("reporting-mta")),
            arrival_date=iso_date(per_message.get("arrival-date")),
            final=any(r.action == "delayed" for r in reports) and _from_nullmailer(msg),
            header_recipients=header_recipients,
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


def _reports_delivery_status(msg: Message) -> bool:
    """Does `msg` (a multipart/report) say report-type=delivery-status?"""
    value = raw(msg, "Content-Type")
    # plain ASCII, no RFC 2231 continuation or encoding, no quoted pair: the parameter's value
    # is written whole or the answer is no (feedback reports: the stdlib's parameter parser
    # spared -- and its errors, which need 8-bit bytes beside other characters, cannot come)
    if (
        value is not None
        and value.isascii()
        and "*" not in value
        and "\\" not in value
        and "delivery-status" not in value.lower()
    ):
        return False
    return str(msg.get_param("report-type", "")).lower() == "delivery-status"


def _x_failed_recipients(msg: Message) -> list[str]:
    """The addresses of the X-Failed-Recipients header(s) (Exim, Google), in order."""
    values = raw_all(msg, "X-Failed-Recipients")
    return list(dict.fromkeys(address_list(values))) if values else []


def _recipient(group: dict[str, str], msg: Message | None = None) -> RecipientReport | None:
    """One recipient group's report.  A Final-Recipient that is no mailbox -- a file path or
    program of a local delivery, a source route -- gives way to the Original-Recipient, then
    to the route's last hop, then to the one address X-Failed-Recipients of `msg` names.
    (Absent fields are not handed to the cleaners: each gives None for None.)"""
    get = group.get
    value = get("original-recipient")
    original = clean_address(value, xtext=True) if value is not None else None
    value = get("final-recipient")
    final = clean_address(value) if value is not None else None
    if final and original and "@" in original and _encapsulated(final):
        final = None  # the address the sender used, not Exchange's internal form of it
    # (`mailbox_address` keeps an address with an "@" that starts with none of "@/|")
    if final and (final[0] in "@/|" or "@" not in final):
        mailbox = mailbox_address(final)
        if mailbox != final:
            # a path, a program or a source route: the sender's own address says more
            if not (final := mailbox_address(original) or mailbox):
                failed = _x_failed_recipients(msg) if msg is not None else []
                final = failed[0] if len(failed) == 1 else None
            if final is None:
                return None
    address = final or original
    if not address:
        value = get("x-actual-recipient")
        address = clean_address(value) if value is not None else None
    if not address or ("@" not in address and " " in address):
        return None
    value = get("diagnostic-code")
    diagnostic = strip_type(value) if value is not None else None  # squashed by strip_type
    status_field = get("status")
    status = extract_status(status_field)
    if not diagnostic and status:
        # no Diagnostic-Code, the reason as a comment on the status (Oracle Messaging
        # Server: "Status: 5.1.10 (host/domain does not accept mail)")
        m = _STATUS_COMMENT_RE.search(status_field or "")
        diagnostic = " ".join(m.group(1).split()) if m else None
    diag_status = extract_status(diagnostic) if diagnostic else None
    if diag_status and (
        status is None
        or (is_generic_status(status) and diag_status[0] == status[0])
        or _truncated(status, diag_status)
    ):
        status = diag_status
    action = get("action")
    if action not in ACTIONS:  # (the usual "failed" as it is: nothing to clean)
        action = (action or "").strip().lower().split(" ")[0].rstrip(";") or None
        action = _ACTION_ALIASES.get(action, action) if action else None
        if action not in ACTIONS:
            action = _CLASS_ACTION.get(status[0]) if status else None
    value = get("remote-mta")
    last_attempt = get("last-attempt-date")
    retry_until = get("will-retry-until")
    return RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=extract_reply_code(diagnostic) if diagnostic else None,
        diagnostic=diagnostic,
        remote_mta=clean_host(value) if value is not None else None,
        original_recipient=original if original and original != address else None,
        last_attempt_date=iso_date(last_attempt) if last_attempt else None,
        will_retry_until=iso_date(retry_until) if retry_until else None,
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
