"""PLACEHOLDER (owned by the classifier work)."""

from __future__ import annotations

from bouncewatch.model import Classification, RecipientReport


def classify(
    report: RecipientReport, *, kind: str = "dsn", reporting_mta: str | None = None
) -> Classification:
    """Classify one recipient.  `kind` is the parse kind (dsn|bounce|complaint|auto_reply)."""
    raise NotImplementedError
