"""What every detector is: the protocol, and the shape of what it returns."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Protocol, runtime_checkable

from bouncewatch.model import RecipientReport


class ParseTimeout(Exception):
    """A message's parse ran past its time budget (ParseOptions.time_budget)."""


def check_deadline(deadline: float | None, where: str) -> None:
    """Raise ParseTimeout when `deadline` (time.monotonic()) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise ParseTimeout(f"the parse ran past its time budget ({where})")


@dataclass(slots=True)
class Detection:
    """A detector's finding: raw per-recipient fields, not yet classified."""

    kind: str  #: dsn | bounce | complaint | auto_reply
    recipients: list[RecipientReport] = field(default_factory=list)
    reporting_mta: str | None = None
    arrival_date: str | None = None
    feedback_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the report is the MTA's last word even where an Action says "delayed" (nullmailer
    #: sends no delay warnings: its "delayed" DSN is the one it sends when it gives up)
    final: bool = False
    #: the report itself names nobody: its recipients come from X-Failed-Recipients only, so
    #: a format decoder that reads them (with their diagnostics) from the text is preferred
    header_recipients: bool = False


@runtime_checkable
class Detector(Protocol):
    """One format.  `detect` returns None when the message is not of its format.

    Detectors are pure and must be cheap to reject: look at headers (From, Subject,
    Content-Type, X-Failed-Recipients, …) before scanning bodies.  They never classify.
    """

    name: str

    def detect(self, msg: Message) -> Detection | None: ...


@runtime_checkable
class FormatDecoder(Detector, Protocol):
    """A decoder of one non-standard bounce format, and what it says about itself: the
    registry's list of these is the only list of formats; the docs' format table, the tests
    and the fixture folders (`fixtures/formats/<name>/`) are derived from it."""

    #: the format, as people call it ("Postfix (no DSN part)")
    title: str
    #: one line: what the decoder recognises the format by
    description: str
    #: where the format is documented (a URL, or the source that describes it)
    reference: str
    #: False for formats sent by ordinary senders (SES notifications come from SNS), which
    #: must see every message; True: only messages that look like bounces reach the decoder
    screened: bool
    # Optional (not part of the protocol): `needs`, a tuple of strings one of which the body
    # text (`formats._common.body_text`) holds wherever a screened decoder recognises a
    # message -- its own first test of the text.  Once an earlier decoder has decoded the
    # text, the registry skips a decoder whose `needs` are all absent, without calling it.
