"""The one ordered list of detectors.  Most specific first; the first that recognises a
message wins.

`FORMAT_DETECTORS` is the only list of non-standard formats: each decoder carries its own
name, title, description and reference (`base.FormatDecoder`), and the docs' format table
(`docs/formats.md`, see `formats_table`), the tests and the fixture folders
(`fixtures/formats/<name>/`) are derived from it.  Adding a format is adding its module,
one line here and its fixture folder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import Message
from time import monotonic
from typing import TypeVar

from bouncewatch.parse import embedded as embedded_reports
from bouncewatch.parse.arf import ARF
from bouncewatch.parse.autoreply import AutoReply
from bouncewatch.parse.base import Detection, Detector, FormatDecoder, check_deadline
from bouncewatch.parse.fallback import FluflFallback
from bouncewatch.parse.formats._common import decoded_text
from bouncewatch.parse.formats.aborted import AbortedDetector
from bouncewatch.parse.formats.activehunter import ActiveHunterDetector
from bouncewatch.parse.formats.aol import AolDetector
from bouncewatch.parse.formats.barracuda import BarracudaDetector
from bouncewatch.parse.formats.biglobe import BiglobeDetector
from bouncewatch.parse.formats.courier import CourierDetector
from bouncewatch.parse.formats.deliveryerrors import DeliveryErrorsDetector
from bouncewatch.parse.formats.dma import DmaDetector
from bouncewatch.parse.formats.domino import DominoDetector
from bouncewatch.parse.formats.exchange import ExchangeDetector
from bouncewatch.parse.formats.exim import EximDetector
from bouncewatch.parse.formats.ezweb import EZwebDetector
from bouncewatch.parse.formats.fml import FmlDetector
from bouncewatch.parse.formats.gmail import GmailDetector
from bouncewatch.parse.formats.gmx import GmxDetector
from bouncewatch.parse.formats.googlegroups import GoogleGroupsDetector
from bouncewatch.parse.formats.googleworkspace import GoogleWorkspaceDetector
from bouncewatch.parse.formats.groupwise import GroupWiseDetector
from bouncewatch.parse.formats.imail import IMailDetector
from bouncewatch.parse.formats.ironport import IronPortDetector
from bouncewatch.parse.formats.james import JamesDetector
from bouncewatch.parse.formats.jmrp import JmrpDetector
from bouncewatch.parse.formats.kddi import KddiDetector
from bouncewatch.parse.formats.kerio import KerioDetector
from bouncewatch.parse.formats.mailfoundry import MailFoundryDetector
from bouncewatch.parse.formats.mailmarshal import MailMarshalDetector
from bouncewatch.parse.formats.mdaemon import MDaemonDetector
from bouncewatch.parse.formats.messagingserver import MessagingServerDetector
from bouncewatch.parse.formats.mfilter import MFilterDetector
from bouncewatch.parse.formats.mxlogic import MxLogicDetector
from bouncewatch.parse.formats.notes import NotesDetector
from bouncewatch.parse.formats.office365 import Office365Detector
from bouncewatch.parse.formats.opensmtpd import OpenSmtpdDetector
from bouncewatch.parse.formats.postfix import PostfixDetector
from bouncewatch.parse.formats.qmail import QmailDetector
from bouncewatch.parse.formats.sendmail import SendmailDetector
from bouncewatch.parse.formats.ses import SesDetector
from bouncewatch.parse.formats.smail import SmailDetector
from bouncewatch.parse.formats.trendmicro import TrendMicroDetector
from bouncewatch.parse.formats.troublenotice import TroubleNoticeDetector
from bouncewatch.parse.formats.verizon import VerizonDetector
from bouncewatch.parse.formats.workmail import WorkMailDetector
from bouncewatch.parse.formats.yahoo import YahooDetector
from bouncewatch.parse.formats.zoho import ZohoDetector
from bouncewatch.parse.mime import content_type, looks_like_bounce
from bouncewatch.parse.rfc3464 import RFC3464

log = logging.getLogger("bouncewatch.parse.registry")
T = TypeVar("T")

#: the non-standard formats, run after RFC 3464 and before auto-reply detection; first hit
#: wins, so the most specific come first (a provider's variant before the MTA it is built
#: on: AOL before sendmail, Yahoo before qmail; JSON notifications before anything that
#: reads text)
FORMAT_DETECTORS: tuple[FormatDecoder, ...] = (
    SesDetector(),
    JmrpDetector(),
    VerizonDetector(),
    JamesDetector(),
    FmlDetector(),
    WorkMailDetector(),
    GmailDetector(),
    GoogleGroupsDetector(),
    GoogleWorkspaceDetector(),
    YahooDetector(),
    ZohoDetector(),
    AolDetector(),
    EZwebDetector(),
    KddiDetector(),
    BiglobeDetector(),
    MFilterDetector(),
    TrendMicroDetector(),
    BarracudaDetector(),
    MailFoundryDetector(),
    MxLogicDetector(),
    ActiveHunterDetector(),
    DominoDetector(),
    NotesDetector(),
    GroupWiseDetector(),
    IMailDetector(),
    MailMarshalDetector(),
    IronPortDetector(),
    MDaemonDetector(),
    MessagingServerDetector(),
    CourierDetector(),
    OpenSmtpdDetector(),
    DmaDetector(),
    DeliveryErrorsDetector(),
    TroubleNoticeDetector(),
    AbortedDetector(),
    Office365Detector(),
    KerioDetector(),
    ExchangeDetector(),
    QmailDetector(),
    SmailDetector(),
    GmxDetector(),
    EximDetector(),
    PostfixDetector(),
    SendmailDetector(),
)

DETECTORS: tuple[Detector, ...] = (
    ARF(),
    RFC3464(),
    *FORMAT_DETECTORS,
    AutoReply(),
    FluflFallback(),
)
#: format decoders that only see messages passing `looks_like_bounce` (From a mail system,
#: X-Failed-Recipients, null Return-Path, multipart/report or a bounce-like subject): text
#: decoders are the expensive part of the list, and ordinary mail need not pay for them.
#: The others (`screened = False`: SES notifications arrive from SNS as plain mail) run on
#: every message.
GATED: frozenset[str] = frozenset(d.name for d in FORMAT_DETECTORS if d.screened)
UNSCREENED: frozenset[str] = frozenset(d.name for d in FORMAT_DETECTORS) - GATED
FORMAT_NAMES: frozenset[str] = frozenset(d.name for d in FORMAT_DETECTORS)
#: the heuristics that run when nothing specific recognised a message
LAST_RESORT: frozenset[str] = frozenset({"flufl"})


def detect(
    msg: Message,
    detectors: tuple[Detector, ...] = DETECTORS,
    *,
    embedded: bool = True,
    deadline: float | None = None,
) -> tuple[str, Detection | None, list[str]]:
    """(detector name, its detection, errors of detectors that crashed on the way).

    A detector that raises is skipped (and its error reported), so one faulty decoder never
    hides a message from the others.  Before the last resort (the flufl.bounce heuristics),
    a bounce in the wrong shape is re-read (`parse.embedded`) and decoded again; its
    detector is then named "<name>+embedded".  Past `deadline` (time.monotonic())
    ParseTimeout is raised before the next detector starts.
    """
    errors: list[str] = []
    if embedded and not msg.is_multipart() and content_type(msg).startswith("multipart/"):
        # a multipart body the parser could not split (its boundary is not the header's)
        repaired = _guarded(embedded_reports.repaired_boundary, msg)
        if repaired is not None:
            name, found, errors = detect(repaired, detectors, embedded=False, deadline=deadline)
            if found is not None:
                return f"{name}+embedded", found, errors
    bouncy: bool | None = None
    empty: tuple[str, Detection] | None = None
    text: str | None = None  # the body text, once a decoder has had it decoded
    plan = _DEFAULT_PLAN if detectors is DETECTORS else _plan(detectors)
    for decode, name, gated, last, reads, needs in plan:
        if empty is not None:
            if not reads:
                continue  # after a report naming nobody, only decoders that read recipients
            if last and empty[1].recipients:
                break  # X-Failed-Recipients named them: surer than the last resort's guesses
        if gated:
            if bouncy is None:
                bouncy = looks_like_bounce(msg)
            if not bouncy:
                continue
            if needs:
                # a decoder whose format always says one of `needs` in its text: where the
                # text (decoded already) says none, the decoder would return None
                if text is None:
                    text = decoded_text(msg)
                if text is not None:
                    for need in needs:
                        if need in text:
                            break
                    else:
                        continue
            if deadline is not None and monotonic() > deadline:
                check_deadline(deadline, f"before detector {name}")
        elif deadline is not None and monotonic() > deadline:
            check_deadline(deadline, f"before detector {name}")
        if last and embedded:
            # nothing specific recognised it: a report in the wrong shape (a broken MIME
            # boundary, a bounce pasted or quoted in a text body) is read as what it is
            if bouncy is None:
                bouncy = looks_like_bounce(msg)
            if bouncy:
                for inner in _embedded_candidates(msg):
                    inner_name, found, inner_errors = detect(
                        inner, detectors, embedded=False, deadline=deadline
                    )
                    errors.extend(inner_errors)
                    if found is not None and found.recipients and inner_name not in LAST_RESORT:
                        return f"{inner_name}+embedded", found, errors
        try:
            found = decode(msg)
        except Exception as exc:  # a decoder bug must not lose the message
            _failed(name, exc, errors)
            continue
        if found is None:
            continue
        if (found.recipients and not found.header_recipients) or found.kind not in (
            "dsn",
            "bounce",
        ):
            return name, found, errors
        if empty is None:
            # a report that names nobody (a delivery-status part without recipient groups,
            # or naming them only in X-Failed-Recipients, as Google Workspace's do): the
            # decoders after it may read the recipients from the text; if none does, this
            # is the answer
            empty = (name, found)
    if empty is not None:
        return empty[0], empty[1], errors
    return "none", None, errors


_Step = tuple[Callable[[Message], Detection | None], str, bool, bool, bool, tuple[str, ...]]


def _plan(detectors: tuple[Detector, ...]) -> tuple[_Step, ...]:
    """Each detector with what the loop asks of it, worked out once instead of by set
    look-ups at every step: (its bound `detect`, name, gated, last resort, reads
    recipients, what its text must hold: `FormatDecoder.needs`)."""
    return tuple(
        (
            d.detect,
            d.name,
            d.name in GATED,
            d.name in LAST_RESORT,
            d.name in FORMAT_NAMES or d.name in LAST_RESORT,
            tuple(getattr(d, "needs", ())),
        )
        for d in detectors
    )


_DEFAULT_PLAN: tuple[_Step, ...] = _plan(DETECTORS)


def _failed(name: str, exc: Exception, errors: list[str]) -> None:
    """A detector raised: its error is reported, and the next detector gets the message."""
    errors.append(f"{name}: {type(exc).__name__}: {exc}")
    log.warning("event=detector_error detector=%s error=%s", name, type(exc).__name__)


def _embedded_candidates(msg: Message) -> list[Message]:
    return _guarded(lambda m: list(embedded_reports.candidates(m)), msg) or []


def _guarded(read: Callable[[Message], T], msg: Message) -> T | None:
    try:
        return read(msg)
    except Exception:  # a message too broken to re-read: the decoders still see it as it is
        return None


def formats_table(decoders: tuple[FormatDecoder, ...] = FORMAT_DETECTORS) -> str:
    """The Markdown table of the non-standard formats, in the order they are tried."""
    rows = [
        "| Format | How it is recognised | Detector | Documented at |",
        "|---|---|---|---|",
    ]
    for d in decoders:
        ref = d.reference
        if ref.startswith(("https://", "http://")):
            url, _, note = ref.partition(" ")
            ref = f"<{url}>" + (f" {note}" if note else "")
        rows.append(f"| {d.title} | {d.description} | `{d.name}` | {ref} |")
    return "\n".join(rows) + "\n"
