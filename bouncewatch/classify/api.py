"""classify(): one recipient's decoded fields -> bounce type, reason and the rule that decided.

Decision order (the first step that decides wins; the rule string names it):

1. ``kind:complaint`` -- an ARF report is a complaint; ``kind:auto_reply`` -> none/auto_reply.
2. ``action:delivered|relayed|expanded`` (or a 2.x.x status) -> none/delivered.
3. ``action:delayed:<reason>`` -> none/delayed whatever the code says; the reason steps 4-9
   would have given is kept in the rule ("action:delayed:greylisted").  Except when that
   reason is ``expired`` (a 4.4.7 status, "envelope expired"): some MTAs (OpenSMTPD) label
   their final expiry bounce "delayed", and the expiry is the more specific statement.
   ``action:failed:<4.x.x|4xx>:<reason>`` -> soft/expired, for RFC 3464 DSNs only: "failed"
   with a temporary status (or a 4xx reply and no specific status, as Exim's 5.0.0) is how an
   MTA says it gave up retrying (queue lifetime reached); the last attempt's reason stays in
   the rule ("action:failed:4.2.2:mailbox_full").  Likewise a DSN failure with a network
   error and no reply at all ("Network is down", status 5.0.0): nobody fails a message on
   the first unanswered connection, so the queue lifetime was over.  Other
   formats' actions are inferred by their decoders, so they get steps 4-9.
4. ``text:expired`` -- the MTA says it gave up ("retry timeout exceeded"): the rest of such a
   text only quotes the last attempt, so this beats even the provider rows.
   ``provider:<provider>:<id>`` -- provider rows (``providers.py``) whose verbatim wording
   matches, and whose host pattern matches the remote MTA, reporting MTA or the text.
5. ``text:<reason>`` -- strong phrases (``reasons.STRONG_PHRASES``), in their fixed order:
   wording beats the code ("550 … mailbox full" is mailbox_full, "5xx greylisted" is
   greylisted, "5.7.1 blocked using Spamhaus" is blocked, "5.7.1 no such user" is
   user_unknown).
6. ``status:<X.Y.Z>`` -- the RFC 3463 status table (``reasons.REASON_INFO``), except the
   vague x.7.0 / x.7.1.
7. ``text:<reason>`` -- weak phrases ("blocked", "access denied", "rejected", "try again
   later"), then ``status:x.7.0|x.7.1`` -> policy as a last resort.
8. ``code:<NNN>`` -- a bare reply code: any 4xx -> system_error (soft: it is temporary);
   550/551/553 whose text says nothing beyond codes, addresses and MTA boiler-plate ->
   user_unknown; 552 likewise -> mailbox_full (RFC 5321: "exceeded storage allocation").
   A 4.x.x status nothing else explained -> ``status:4.x.x`` system_error.
9. ``none`` -> undetermined/unknown.  A 5xx with text no rule knows is *not* guessed.

The bounce type is the reason's (``model.REASONS``), with one exception: an address-level
(hard) reason reported with a temporary status (4.x.x, or a 4xx reply when there is no
status) is ``soft`` -- the receiver itself says it may change its mind ("450 4.1.1 user
unknown" from a server whose directory is being rebuilt).  A permanent code never makes a
soft reason hard: "552 5.2.2 mailbox full" stays soft.

Results are cached on the exact fields, so repeated texts cost a dictionary look-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bouncewatch.classify.matcher import PhraseIndex, normalise, words
from bouncewatch.classify.providers import PROVIDER_RULES
from bouncewatch.classify.reasons import (
    GAVE_UP_PHRASES,
    STRONG_PHRASES,
    WEAK_PHRASES,
    reason_for_status,
)
from bouncewatch.model import REASONS, Classification, RecipientReport
from bouncewatch.smtp.reply import extract_codes as _extract_codes


@dataclass(frozen=True, slots=True)
class _Hit:
    reason: str
    rule: str
    weak: bool = False
    host: re.Pattern[str] | None = None


def _entries() -> list[tuple[str, _Hit]]:
    out: list[tuple[str, _Hit]] = []
    for reason, patterns in GAVE_UP_PHRASES:
        out.extend((p, _Hit(reason, f"text:{reason}")) for p in patterns)
    for row in PROVIDER_RULES:
        host = re.compile(row.host) if row.host else None
        hit = _Hit(row.reason, row.rule, host=host)
        out.extend((pattern, hit) for pattern in row.patterns)
    for reason, patterns in STRONG_PHRASES:
        out.extend((p, _Hit(reason, f"text:{reason}")) for p in patterns)
    for reason, patterns in WEAK_PHRASES:
        out.extend((p, _Hit(reason, f"text:{reason}", weak=True)) for p in patterns)
    return out


#: every provider row, strong phrase and weak phrase, in evaluation order.
INDEX = PhraseIndex(_entries())

_EMPTY: list[bytes] = []
_DELIVERED_ACTIONS = frozenset({"delivered", "relayed", "expanded"})

#: what is left of a diagnostic with no real words: codes, addresses, MTA boiler-plate
_BOILERPLATE = re.compile(
    r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\b(?:smtp|esmtp|lmtp|x-postfix|x-unix|host|said|"
    r"remote|server|returned|reply|error|in reply to|command|rcpt to|mail from|end of data|"
    r"data|rcpt|permanent|failure|[0-9]+)\b|\S+@\S+|[a-z0-9-]+(?:\.[a-z0-9-]+)+"
)
_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters of any script: a word

#: reply codes inside a text: multi-line continuations ("550-5.7.1 "), and codes quoted
#: mid-text ("… said: 550 5.1.1 …"); removed before phrases are matched, since they
#: interrupt the wording ("potential 552-5.7.0 security issue").  The pattern starts with a
#: character class (fast to scan for); where a mark may start is checked in _wording.
_REPLY_MARKS = re.compile(
    r"[245]\d\d(?:-(?:[245]\.\d{1,3}\.\d{1,3}\b)?| [245]\.\d{1,3}\.\d{1,3}(?= ))"
)


def _wording(norm: str) -> str:
    """The normalised text without the reply codes that interrupt its wording."""
    pieces: list[str] = []
    last = 0
    for m in _REPLY_MARKS.finditer(norm):
        start = m.start()
        if start:
            if norm[start - 1] != " ":
                continue
        elif norm[3:4] != "-":  # a leading "550 5.1.1" interrupts nothing
            continue
        pieces.append(norm[last:start])
        last = m.end()
    if not pieces:
        return norm
    pieces.append(norm[last:])
    return " ".join("".join(pieces).split())


def _says_nothing(norm: str) -> bool:
    return _WORD.search(_BOILERPLATE.sub(" ", norm)) is None


def _decide(
    status: str | None,
    code: int | None,
    norm: str,
    remote_mta: str | None,
    reporting_mta: str | None,
) -> tuple[str, str]:
    """(reason, rule) from the failure fields (`norm`: normalised diagnostic): steps 4-9."""
    text = _wording(norm) if norm else norm
    text_words = words(text) if text else _EMPTY
    by_status, last_resort = reason_for_status(status) if status else (None, False)
    context: str | None = None
    status_done = False
    phrases = INDEX.phrases
    for priority in INDEX.order(text_words):
        phrase = phrases[priority]
        hit: _Hit = phrase.payload
        if hit.weak and not status_done:
            status_done = True
            if by_status is not None and not last_resort:
                return by_status, f"status:{status}"
        if not phrase.search(text):
            continue
        if hit.host is not None:
            if context is None:
                context = f"{remote_mta or ''} {reporting_mta or ''}".lower() + " " + text
            if hit.host.search(context) is None:
                continue
        return hit.reason, hit.rule
    if by_status is not None:
        return by_status, f"status:{status}"
    if code is not None:
        if 400 <= code < 500:
            return "system_error", f"code:{code}"
        if code in (550, 551, 553) and _says_nothing(norm):
            return "user_unknown", f"code:{code}"
        if code == 552 and _says_nothing(norm):
            return "mailbox_full", f"code:{code}"
    if status is not None and status.startswith("4."):
        return "system_error", f"status:{status}"
    return "unknown", "none"


def _gave_up(status: str | None, code: int | None) -> bool:
    """A failure whose status (or, with no specific status, reply code) is temporary."""
    if status is not None and not status.endswith(".0.0"):
        return status.startswith("4.")
    return (code is not None and 400 <= code < 500) or (status or "").startswith("4.")


def _no_reply(status: str | None, code: int | None) -> bool:
    """No SMTP reply and no specific status: a connection-level failure."""
    return code is None and (status is None or status.endswith(".0.0"))


def _is_temporary(status: str | None, code: int | None) -> bool:
    if status:
        return status.startswith("4.")
    return code is not None and 400 <= code < 500


_STATUS_RE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")


@lru_cache(maxsize=8192)
def _classify(
    kind: str,
    action: str | None,
    status: str | None,
    code: int | None,
    diagnostic: str | None,
    remote_mta: str | None,
    reporting_mta: str | None,
    final: bool = False,
) -> Classification:
    if kind == "complaint":
        return Classification("complaint", "complaint", "kind:complaint")
    if kind == "auto_reply":
        return Classification("none", "auto_reply", "kind:auto_reply")
    act = action.strip().lower() if action else None
    if status is not None:
        # only a well-formed RFC 3463 code is a status; anything else is as good as none
        status = status.strip()
        if not _STATUS_RE.fullmatch(status):
            status = None
    norm = normalise(diagnostic) if diagnostic else ""
    if norm and (status is None or (code is None and status.endswith(".0.0"))):
        # a specific status makes the reply code irrelevant: read it only when needed
        found_status, found_code = _extract_codes(norm)
        status = status or found_status
        code = code or found_code
    if act in _DELIVERED_ACTIONS:
        return Classification("none", "delivered", f"action:{act}")
    if act is None and status is not None and status.startswith("2."):
        return Classification("none", "delivered", f"status:{status}")
    reason, rule = _decide(status, code, norm, remote_mta, reporting_mta)
    if act == "delayed" and final:
        act = "failed"  # the MTA's last word, whatever its Action field says
    if act == "delayed" and reason != "expired":
        # (a "delayed" notice whose status or text says the message expired is final:
        # some MTAs, OpenSMTPD among them, label their expiry bounce "delayed")
        return Classification("none", "delayed", f"action:delayed:{reason}")
    if kind == "dsn" and act == "failed" and reason != "expired" and _gave_up(status, code):
        # RFC 3464: "failed" with a temporary status = the MTA gave up retrying
        evidence = status if status and status.startswith("4.") else code
        return Classification("soft", "expired", f"action:failed:{evidence}:{reason}")
    if kind == "dsn" and act == "failed" and reason == "network_error" and _no_reply(status, code):
        # no reply from the receiver at all: MTAs give up on those only when the queue
        # lifetime is over
        return Classification("soft", "expired", f"action:failed:{status or 'none'}:{reason}")
    bounce_type = REASONS[reason]
    if bounce_type == "hard" and _is_temporary(status, code):
        bounce_type = "soft"
    return Classification(bounce_type, reason, rule)


def classify(
    report: RecipientReport,
    *,
    kind: str = "dsn",
    reporting_mta: str | None = None,
    final: bool = False,
) -> Classification:
    """Classify one recipient.  `kind` is the parse kind (dsn|bounce|complaint|auto_reply).

    `final`: the decoder knows this report is the MTA's last word even if its Action says
    "delayed" (nullmailer derives the Action from the status class and sends no delay
    notices: its "delayed" DSN is the one it sends when it gives up).  It is then read as
    "failed", so a temporary status gives ``expired``.

    Pure and cached; see the module docstring for the decision order.
    """
    return _classify(
        kind,
        report.action,
        report.status,
        report.smtp_code,
        report.diagnostic,
        report.remote_mta,
        reporting_mta,
        final,
    )
