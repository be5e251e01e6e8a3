"""The one ordered list of detectors.  Most specific first; the first that recognises a
message wins.  Adding a format means adding it here (or to FORMAT_DETECTORS) and nowhere else."""

from __future__ import annotations

import logging
from email.message import Message

from bouncewatch.parse import formats
from bouncewatch.parse.arf import ARF
from bouncewatch.parse.autoreply import AutoReply
from bouncewatch.parse.base import Detection, Detector
from bouncewatch.parse.fallback import FluflFallback
from bouncewatch.parse.rfc3464 import RFC3464

log = logging.getLogger("bouncewatch.parse.registry")

#: non-standard MTA/provider formats, in their own order (bouncewatch.parse.formats)
FORMAT_DETECTORS: list[Detector] = list(getattr(formats, "FORMAT_DETECTORS", []))

DETECTORS: tuple[Detector, ...] = (
    ARF(),
    RFC3464(),
    *FORMAT_DETECTORS,
    AutoReply(),
    FluflFallback(),
)


def detect(
    msg: Message, detectors: tuple[Detector, ...] = DETECTORS
) -> tuple[str, Detection | None, list[str]]:
    """(detector name, its detection, errors of detectors that crashed on the way).

    A detector that raises is skipped (and its error reported), so one faulty decoder never
    hides a message from the others.
    """
    errors: list[str] = []
    for detector in detectors:
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
