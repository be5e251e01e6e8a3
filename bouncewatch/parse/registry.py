"""The one ordered list of detectors.  Most specific first; the first that recognises a
message wins.  Adding a format means adding it here (or to FORMAT_DETECTORS) and nowhere else."""

from __future__ import annotations

import logging
from email.message import Message

from bouncewatch.parse.arf import ARF
from bouncewatch.parse.autoreply import AutoReply
from bouncewatch.parse.base import Detection, Detector, check_deadline
from bouncewatch.parse.fallback import FluflFallback
from bouncewatch.parse.formats import FORMAT_DETECTORS
from bouncewatch.parse.mime import looks_like_bounce
from bouncewatch.parse.rfc3464 import RFC3464

log = logging.getLogger("bouncewatch.parse.registry")


DETECTORS: tuple[Detector, ...] = (
    ARF(),
    RFC3464(),
    *FORMAT_DETECTORS,
    AutoReply(),
    FluflFallback(),
)
#: format decoders whose messages come from ordinary senders (Amazon SES notifications arrive
#: from SNS as plain mail), so they run on every message
UNSCREENED: frozenset[str] = frozenset({"ses"})
#: the other format decoders only see messages passing `looks_like_bounce` (From a mail
#: system, X-Failed-Recipients, null Return-Path, multipart/report or a bounce-like subject):
#: text decoders are the expensive part of the list, and ordinary mail need not pay for them
GATED: frozenset[str] = frozenset(d.name for d in FORMAT_DETECTORS) - UNSCREENED


def detect(
    msg: Message, detectors: tuple[Detector, ...] = DETECTORS, *, deadline: float | None = None
) -> tuple[str, Detection | None, list[str]]:
    """(detector name, its detection, errors of detectors that crashed on the way).

    A detector that raises is skipped (and its error reported), so one faulty decoder never
    hides a message from the others.  Past `deadline` (time.monotonic()) ParseTimeout is
    raised before the next detector starts.
    """
    errors: list[str] = []
    bouncy: bool | None = None
    for detector in detectors:
        check_deadline(deadline, f"before detector {detector.name}")
        if detector.name in GATED:
            if bouncy is None:
                bouncy = looks_like_bounce(msg)
            if not bouncy:
                continue
        try:
            found = detector.detect(msg)
        except Exception as exc:  # a decoder bug must not lose the message
            errors.append(f"{detector.name}: {type(exc).__name__}: {exc}")
            log.warning(
                "event=detector_error detector=%s error=%s", detector.name, type(exc).__name__
            )
            continue
        if found is not None:
            return detector.name, found, errors
    return "none", None, errors
