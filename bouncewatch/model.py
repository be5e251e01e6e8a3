"""Shared, immutable data shapes passed between the layers.

source → RawMessage → parse → ParseResult(RecipientResult(RecipientReport, Classification)…)
→ store.  Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

# --- vocabulary (contract: see README "Vocabulary") -------------------------------------------

BounceType = Literal["hard", "soft", "block", "complaint", "none", "undetermined"]
Kind = Literal["dsn", "bounce", "complaint", "auto_reply", "not_bounce"]
EventType = Literal["bounce", "delayed", "delivered", "complaint", "auto_reply"]
AddressState = Literal["active", "soft_bouncing", "suspended", "invalid", "complained"]

BOUNCE_TYPES: tuple[str, ...] = ("hard", "soft", "block", "complaint", "none", "undetermined")
KINDS: tuple[str, ...] = ("dsn", "bounce", "complaint", "auto_reply", "not_bounce")
#: the per-recipient actions of RFC 3464 (section 2.3.3)
ACTIONS: frozenset[str] = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})
ADDRESS_STATES: tuple[str, ...] = ("active", "soft_bouncing", "suspended", "invalid", "complained")

#: reason -> default bounce type (contract).  Order is the documentation order.
REASONS: dict[str, str] = {
    "user_unknown": "hard",
    "mailbox_disabled": "hard",
    "domain_not_found": "hard",
    "address_invalid": "hard",
    "has_moved": "hard",
    "not_accept": "hard",
    "mailbox_full": "soft",
    "message_too_large": "soft",
    "rate_limited": "soft",
    "greylisted": "soft",
    "network_error": "soft",
    "expired": "soft",
    "system_error": "soft",
    "blocked": "block",
    "spam_content": "block",
    "policy": "block",
    "auth_failure": "block",
    "virus": "block",
    "relay_denied": "block",
    "complaint": "complaint",
    "auto_reply": "none",
    "delayed": "none",
    "delivered": "none",
    "unknown": "undetermined",
}


# --- a quicker __init__ for the frozen dataclasses made on the hot path ---------------------------
#
# A frozen dataclass's generated `__init__` sets each field with ``object.__setattr__(self,
# "name", value)``: a look-up of `__setattr__`, then of the name in the class, for every field of
# every instance.  `quick_init` writes the same `__init__` (the same parameters, defaults and
# factories, in the same order) calling each field's slot descriptor directly, which is what
# `object.__setattr__` ends up calling: a ParseResult is built in about 60 % of the time.  The
# class is still frozen; its equality, hash, repr and `dataclasses.replace` are the dataclass's.

_T = TypeVar("_T")

#: each class given a quicker __init__ → the __init__ dataclasses generated (for the tests)
GENERATED: dict[type, Callable[..., None]] = {}

#: the default of a parameter whose field has a default_factory
_FACTORY = object()


def quick_init(cls: type[_T]) -> type[_T]:
    """Give `cls`, a frozen dataclass with slots, a quicker `__init__` (see above)."""
    spec = getattr(cls, "__dataclass_params__", None)
    if spec is None or not spec.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"quick_init: {cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"quick_init: {cls.__name__} has a __post_init__")
    scope: dict[str, Any] = {"_FACTORY": _FACTORY}
    params: list[str] = []
    body: list[str] = []
    for k, f in enumerate(dataclasses.fields(cls)):  # type: ignore[arg-type]
        name = f.name  # an identifier of the class's own source, as dataclasses uses it
        if not f.init or f.kw_only or name == "self" or name.startswith("_"):
            raise TypeError(f"quick_init: {cls.__name__}.{name} is not a plain init field")
        scope[f"_set{k}"] = cls.__dict__[name].__set__  # the slot's member descriptor
        if f.default is not dataclasses.MISSING:
            scope[f"_default{k}"] = f.default
            params.append(f"{name}=_default{k}")
            body.append(f"    _set{k}(self, {name})")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_factory{k}"] = f.default_factory
            params.append(f"{name}=_FACTORY")
            body.append(f"    _set{k}(self, _factory{k}() if {name} is _FACTORY else {name})")
        else:
            params.append(name)
            body.append(f"    _set{k}(self, {name})")
    exec("\n".join([f"def __init__(self, {', '.join(params)}):", *body, "    pass"]), scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    GENERATED[cls] = cls.__init__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


# --- what a source hands over -------------------------------------------------------------------


@quick_init
@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message as read from a source, before any parsing."""

    data: bytes
    source: str  #: mailbox name ("imap:bounces/INBOX") or file path
    uidvalidity: int | None = None
    uid: int | None = None
    received_at: str | None = None  #: ISO 8601 UTC (IMAP INTERNALDATE, file mtime)
    #: in an mbox: the message's number (from 1) and the byte offset of its ``From `` line
    mbox_index: int | None = None
    mbox_offset: int | None = None

    @property
    def label(self) -> str:
        """Where to find the message: its source, and in an mbox which message
        (``big.mbox#12@34567``: the 12th message, its ``From `` line at byte 34567)."""
        if self.mbox_index is None:
            return self.source
        return f"{self.source}#{self.mbox_index}@{self.mbox_offset}"

    #: the source read only part of the message (`data` is its first max_message_bytes)
    truncated: bool = False


# --- what a decoder extracts (no judgement) -----------------------------------------------------


@quick_init
@dataclass(frozen=True, slots=True)
class RecipientReport:
    """Raw per-recipient fields, as a decoder found them.  Decoders never classify."""

    address: str
    action: str | None = None  #: failed | delayed | delivered | relayed | expanded
    status: str | None = None  #: RFC 3463 "X.Y.Z"
    smtp_code: int | None = None  #: RFC 5321 reply code, e.g. 550
    diagnostic: str | None = None
    remote_mta: str | None = None
    original_recipient: str | None = None
    last_attempt_date: str | None = None
    will_retry_until: str | None = None
    #: the SMTP command the receiver refused ("RCPT", "DATA", "MAIL", …), when the report says
    command: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class DecodedMessage:
    """What parse read from one message: the report and its recipients, not yet classified.
    `bouncewatch.analyze` classifies the recipients and makes a `ParseResult` of it."""

    kind: str  #: one of KINDS
    detector: str  #: which decoder produced the recipients ("rfc3464", "exim", "none", …)
    reports: tuple[RecipientReport, ...] = ()
    #: per report, the SMTP command the report says its refusal answered (for output)
    said_commands: tuple[str | None, ...] = ()
    final: bool = False  #: the reporting MTA has given up (its report is the last word)
    message_id: str | None = None
    subject: str | None = None
    date: str | None = None
    reporting_mta: str | None = None
    arrival_date: str | None = None
    original_message_id: str | None = None
    original_to: tuple[str, ...] = ()
    original_from: str | None = None  #: the returned message's sender (its From address)
    original_subject: str | None = None  #: the returned message's Subject
    list_source: str | None = None
    feedback_type: str | None = None
    #: raw values of the headers saying where the bounce was delivered (Delivered-To,
    #: X-Original-To, …, To): where a signed VERP return path shows up (docs/trust.md)
    envelope_to: tuple[str, ...] = ()
    sender: str | None = None  #: the bounce's raw From value (feedback-loop senders)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True, slots=True)
class Classification:
    bounce_type: str  #: one of BOUNCE_TYPES
    reason: str  #: one of REASONS
    rule: str  #: which rule decided, e.g. "text:user_unknown:no-such-user" or "status:5.1.1"
    #: the MTA gave up retrying (queue lifetime over); `reason` is then the remote server's
    #: last cause when the report gives one, and ``expired`` only when it gives none
    expired: bool = False


@quick_init
@dataclass(frozen=True, slots=True)
class RecipientResult:
    report: RecipientReport
    classification: Classification
    #: the SMTP command the report says the refusal answered, wherever it says it (output only:
    #: the classification reads `report.command`, which decoders fill where it matters)
    said_command: str | None = None

    def to_json(self) -> dict[str, Any]:
        r, c = self.report, self.classification
        return {
            "address": r.address,
            "original_recipient": r.original_recipient,
            "action": r.action,
            "status": r.status,
            "smtp_code": r.smtp_code,
            "bounce_type": c.bounce_type,
            "reason": c.reason,
            "rule": c.rule,
            "diagnostic": r.diagnostic,
            "remote_mta": r.remote_mta,
            "expired": c.expired,
            "smtp_command": self.said_command or r.command,
        }


@quick_init
@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything parse learned about one message."""

    kind: str  #: one of KINDS
    detector: str  #: which decoder produced the recipients ("rfc3464", "exim", "none", …)
    recipients: tuple[RecipientResult, ...] = ()
    message_id: str | None = None  #: the bounce's own Message-ID
    subject: str | None = None
    date: str | None = None  #: the bounce's Date, ISO 8601 UTC, if parseable
    reporting_mta: str | None = None
    arrival_date: str | None = None
    original_message_id: str | None = None
    original_to: tuple[str, ...] = ()
    original_from: str | None = None  #: the returned message's sender (its From address)
    original_subject: str | None = None  #: the returned message's Subject
    list_source: str | None = None
    feedback_type: str | None = None  #: ARF Feedback-Type
    #: raw values of the headers saying where the bounce was delivered (Delivered-To,
    #: X-Original-To, …, To): where a signed VERP return path shows up (docs/trust.md)
    envelope_to: tuple[str, ...] = ()
    sender: str | None = None  #: the bounce's raw From value (feedback-loop senders)
    error: str | None = None  #: set when the message could not be (fully) parsed
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        """The `parse --json` line (contract)."""
        out: dict[str, Any] = {}
        if file is not None:
            out["file"] = file
        out["kind"] = self.kind
        out["detector"] = self.detector
        out["recipients"] = [r.to_json() for r in self.recipients]
        out["date"] = self.date
        out["reporting_mta"] = self.reporting_mta
        out["original_from"] = self.original_from
        out["original_subject"] = self.original_subject
        if self.original_message_id is not None:
            out["original_message_id"] = self.original_message_id
        if self.list_source is not None:
            out["list_source"] = self.list_source
        if self.feedback_type is not None:
            out["feedback_type"] = self.feedback_type
        if self.error is not None:
            out["error"] = self.error
        return out


# --- options ------------------------------------------------------------------------------------

DEFAULT_VERP = r"bounces\+(?P<local>[^=@]+)=(?P<domain>[^@]+)@"


@dataclass(frozen=True, slots=True)
class ParseOptions:
    list_source_headers: tuple[str, ...] = ("X-Campaign", "List-Id")
    verp: re.Pattern[str] | None = field(default_factory=lambda: re.compile(DEFAULT_VERP, re.I))
    #: bytes of a message that are parsed at most; the rest is ignored (and noted in `error`)
    max_bytes: int = 10 * 1024 * 1024
    #: also read, for every failed recipient, the SMTP command the report says it answered
    #: (`parse --json`'s smtp_command); recording doesn't need it, and it costs text decoding
    said_commands: bool = False
    #: seconds one message's parse may take (None: no limit); checked between detectors, each
    #: of which is linear in its input and reads bounded fields.  A message over it is a
    #: `not_bounce` with a "ParseTimeout" error: recorded as such, quarantined, never retried
    time_budget: float | None = 10.0


DEFAULT_PARSE_OPTIONS = ParseOptions()


def event_type_for(kind: str, action: str | None) -> str | None:
    """Map a parse kind + DSN action to a store event type (None: record nothing)."""
    if kind == "complaint":
        return "complaint"
    if kind == "auto_reply":
        return "auto_reply"
    if kind not in ("dsn", "bounce"):
        return None
    if action == "delayed":
        return "delayed"
    if action in ("delivered", "relayed", "expanded"):
        return "delivered"
    return "bounce"
