"""classify(): one recipient's decoded fields -> bounce type, reason and the rule that decided.

Decision order (the first step that decides wins; the rule string names it):

1. ``kind:complaint`` -- an ARF report is a complaint; ``kind:auto_reply`` -> none/auto_reply.
2. ``action:delivered|relayed|expanded`` (or a 2.x.x status) -> none/delivered.
3. ``action:delayed:<reason>`` -> none/delayed whatever the code says; the reason steps 4-9
   would have given is kept in the rule ("action:delayed:greylisted").  Except when the text
   or status says the message expired (a 4.4.7 status, "envelope expired"): some MTAs
   (OpenSMTPD) label their final expiry bounce "delayed", and the expiry is then final.
4. ``provider:<provider>:<id>`` -- provider rows (``providers.py``) whose verbatim wording
   matches, and whose host pattern matches the remote MTA, reporting MTA or the text.
   The MTA's own statement that it gave up ("retry timeout exceeded", "message expired",
   status x.4.7) decides nothing by itself: it marks the give-up, and the search goes on
   for the cause the rest of the text quotes.
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

**Cause before give-up.**  When the MTA gave up retrying -- a give-up phrase or x.4.7
status (step 4), an RFC 3464 ``Action: failed`` with a temporary status (or, with Exim's
5.0.0, a 4xx reply), or a DSN failure with a network error and no reply at all -- the
result carries ``expired=True`` and the rule gets ``+gave-up:<evidence>``
("text:mailbox_full+gave-up:action:failed:4.2.2").  The reason is the cause steps 4-9 found;
``expired`` is the reason (rule ``text:expired`` / ``action:failed:<evidence>``) only when
they found none, or only a bare temporary code or unknown status.

**Hard only on evidence.**  An address-level (hard) answer is checked against the rest of
the report, and the less final answer is given where they disagree, the rule saying why:

- ``+refuted:at-helo`` / ``+refuted:at-conn``: refused at HELO/EHLO or at the greeting,
  before any address was given: the sending host was refused -> block/blocked;
- ``+refuted:sender-status:<x.1.7|x.1.8>`` / ``+refuted:after-mail-from``: the status or the
  refused command is about the sender -> block/policy;
- user-unknown (or disabled) *wording* -- not an address status, not a provider row -- under
  a mailbox status (``+refuted:status:5.2.1``: the mailbox exists), refused after DATA
  (``+refuted:after-data``: the recipient was accepted at RCPT), or from a mobile carrier
  whose sender filter words its refusal so (``+refuted:carrier-filter``; not a reply that
  quotes the recipient as an RCPT TO reply does, "550 <a@b>: User unknown") -> block/policy;
  a refusal known to answer RCPT TO is evidence and stands;
- a DNS failure the MTA calls temporary ("Host not found, try again", a gave-up DNS error)
  is network_error (``+dns-temporary``), not domain_not_found;
- a hard answer whose diagnostic names only other addresses than the recipient (an MTA that
  copied one recipient's refusal to all) -> undetermined/unknown (``+other-address``).

The bounce type is the reason's (``model.REASONS``), with one exception: an address-level
(hard) reason reported with a temporary status (4.x.x, or a 4xx reply when there is no
status), or after the MTA gave up retrying, is ``soft`` -- the receiver itself says it may
change its mind.  Null MX (not_accept) stays hard: it is the domain owner's own final word.
A permanent code never makes a soft reason hard: "552 5.2.2 mailbox full" stays soft.

Results are cached on the exact fields, so repeated texts cost a dictionary look-up.
"""

from __future__ import annotations

import re
import string
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
from bouncewatch.smtp.command import smtp_command as _smtp_command
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
        hit = _Hit(reason, f"text:{reason}")
        out.extend((p, hit) for p in patterns)
    for row in PROVIDER_RULES:
        host = re.compile(row.host) if row.host else None
        hit = _Hit(row.reason, row.rule, host=host)
        out.extend((pattern, hit) for pattern in row.patterns)
    for reason, patterns in STRONG_PHRASES:
        hit = _Hit(reason, f"text:{reason}")
        out.extend((p, hit) for p in patterns)
    for reason, patterns in WEAK_PHRASES:
        hit = _Hit(reason, f"text:{reason}", weak=True)
        out.extend((p, hit) for p in patterns)
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


#: a diagnostic longer than this says something: boiler-plate is a line or two (and
#: _BOILERPLATE, whose runs rescan a long word from each of its letters, never sees more)
_BOILERPLATE_MAX = 1000


def _says_nothing(norm: str) -> bool:
    if len(norm) > _BOILERPLATE_MAX:
        return False
    return _WORD.search(_BOILERPLATE.sub(" ", norm)) is None


def _decide(
    status: str | None,
    code: int | None,
    norm: str,
    remote_mta: str | None,
    reporting_mta: str | None,
) -> tuple[str, str, bool]:
    """(reason, rule, gave_up) from the failure fields (`norm`: normalised diagnostic):
    steps 4-9.  `gave_up`: the text or status says the MTA gave up retrying; the reason is
    then the cause that follows (``expired`` only when none does)."""
    text = _wording(norm) if norm else norm
    text_words = words(text) if text else _EMPTY
    by_status, last_resort = reason_for_status(status) if status else (None, False)
    gave_up = False
    if by_status == "expired":  # x.4.7: the MTA's give-up, not the receiver's cause
        gave_up, by_status = True, None
    elif status is not None and status[1:] == ".4.1" and code is not None and code >= 500:
        # x.4.1 "no answer from host" in a host's own permanent reply (Microsoft's "550 5.4.1
        # … Access denied"): the host answered, so the status says nothing; the words decide
        by_status = None
    context: str | None = None
    status_done = False
    phrases = INDEX.phrases
    for priority in INDEX.order(text_words):
        phrase = phrases[priority]
        hit: _Hit = phrase.payload
        if hit.weak and not status_done:
            status_done = True
            if by_status is not None and not last_resort:
                return by_status, f"status:{status}", gave_up
        if not phrase.search(text):
            continue
        if hit.host is not None:
            if context is None:
                context = f"{remote_mta or ''} {reporting_mta or ''}".lower() + " " + text
            if hit.host.search(context) is None:
                continue
        if hit.reason == "expired":
            gave_up = True  # "retry timeout exceeded": the cause, if any, is elsewhere
            continue
        return hit.reason, hit.rule, gave_up
    if by_status is not None:
        return by_status, f"status:{status}", gave_up
    if code is not None:
        if 400 <= code < 500:
            return "system_error", f"code:{code}", gave_up
        if code in (550, 551, 553) and _says_nothing(norm):
            return "user_unknown", f"code:{code}", gave_up
        if code == 552 and _says_nothing(norm):
            return "mailbox_full", f"code:{code}", gave_up
    if status is not None and status.startswith("4."):
        return "system_error", f"status:{status}", gave_up
    return "unknown", "none", gave_up


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


def _no_cause(reason: str, rule: str, status: str | None) -> bool:
    """Nothing but "it failed for now": no rule decided, or only the fallback for a bare
    temporary reply code or a status the table does not know (4.0.0)."""
    if reason == "unknown":
        return True
    if reason != "system_error":
        return False
    return rule.startswith("code:") or (
        rule == f"status:{status}" and reason_for_status(status or "")[0] in (None, "expired")
    )


#: user-unknown wording that a filter uses as well: refuted by a mailbox-status code (x.2.x),
#: a refusal after DATA, or a mobile carrier's sender filter
_ADDRESS_LEVEL = frozenset({"user_unknown", "mailbox_disabled"})


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
    command: str | None = None,
    carrier: bool = False,
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
    reason, rule, text_gave_up = _decide(status, code, norm, remote_mta, reporting_mta)
    if act == "delayed" and final:
        act = "failed"  # the MTA's last word, whatever its Action field says
    if act == "delayed" and not text_gave_up:
        # (a "delayed" notice whose status or text says the message expired is final:
        # some MTAs, OpenSMTPD among them, label their expiry bounce "delayed")
        return Classification("none", "delayed", f"action:delayed:{reason}")
    gave_up: str | None = None
    if text_gave_up:
        gave_up = f"status:{status}" if status and status.endswith(".4.7") else "text:expired"
    elif kind == "dsn" and act == "failed" and _gave_up(status, code):
        # RFC 3464: "failed" with a temporary status = the MTA gave up retrying
        gave_up = f"action:failed:{status if status and status.startswith('4.') else code}"
    elif (
        kind in ("dsn", "bounce")
        and act == "failed"
        and reason == "network_error"
        and _no_reply(status, code)
    ):
        # no reply from the receiver at all: MTAs give up on those only when the queue
        # lifetime is over (a DSN's "failed", a text bounce's "failed permanently")
        gave_up = f"action:failed:{status or 'none'}"
    if gave_up is not None:
        if _no_cause(reason, rule, status):
            return Classification("soft", "expired", gave_up, expired=True)
        rule = f"{rule}+gave-up:{gave_up}"
    temporary = gave_up is not None or _is_temporary(status, code)
    said = (command or _smtp_command(norm)) if REASONS[reason] == "hard" else None
    if said in ("HELO", "CONN") and reason != "not_accept":
        # refused at the greeting or at HELO/EHLO, before any address was given: the
        # receiver refused the sending host ("501 Invalid domain name" is about its name)
        reason, rule = "blocked", f"{rule}+refuted:at-{said.lower()}"
    elif reason == "domain_not_found" and temporary:
        # a DNS failure the MTA itself calls temporary: the lookup failed, not the domain
        reason, rule = "network_error", f"{rule}+dns-temporary"
    elif REASONS[reason] == "hard" and reason != "not_accept":
        refuted = _refuted(reason, rule, status, said, carrier)
        if refuted is not None:
            reason, rule = "policy", f"{rule}+{refuted}"
    bounce_type = REASONS[reason]
    if bounce_type == "hard" and temporary and reason != "not_accept":
        # the receiver itself says it may change its mind; null MX (not_accept) is the
        # domain owner's own final word, whatever the reporting MTA's status
        bounce_type = "soft"
    return Classification(bounce_type, reason, rule, expired=gave_up is not None)


def _refuted(
    reason: str, rule: str, status: str | None, command: str | None, carrier: bool
) -> str | None:
    """Why an address-level answer is not evidence about this address, or None if it is.

    - the status or the refused command is about the *sender* (x.1.7 / x.1.8, MAIL FROM):
      "550 5.1.7 No such domain" names the sender's domain;
    - user-unknown wording (not an address status) that the report contradicts: the refusal
      came after DATA (the receiver accepted the recipient at RCPT), under a mailbox status
      (x.2.x: the mailbox exists), or from a mobile carrier whose sender filter words its
      refusal "user unknown".  An address status (x.1.x) or a refusal at RCPT is evidence."""
    if status is not None and status[2:] in ("1.7", "1.8"):
        return f"refuted:sender-status:{status}"
    if command == "MAIL":
        return "refuted:after-mail-from"
    if reason not in _ADDRESS_LEVEL or not rule.startswith(("text:", "code:")):
        return None  # an address status, or a provider's own wording: evidence
    if status is not None and status[2:4] == "1.":
        return None
    if command is not None and command != "DATA":
        return None  # refused before the message was seen: about the address
    if reason == "user_unknown" and status is not None and status[2:4] == "2.":
        return f"refuted:status:{status}"
    if command == "DATA":
        return "refuted:after-data"
    if carrier:
        return "refuted:carrier-filter"
    return None


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
    address = report.address
    result = _classify(
        kind,
        report.action,
        report.status,
        report.smtp_code,
        report.diagnostic,
        report.remote_mta,
        reporting_mta,
        final,
        report.command.upper() if report.command else None,
        _is_carrier(address, report.remote_mta) and not _quotes_rcpt(report.diagnostic, address),
    )
    if (
        result.bounce_type == "hard"
        and result.reason != "has_moved"  # which names the new address, by its nature
        and report.diagnostic
        and "@" in report.diagnostic
    ):
        other = _other_address(report.diagnostic, address, report.original_recipient)
        if other:
            # the text is about someone else (an MTA that copied one recipient's error to
            # all, or a reply about the sender): no evidence about this address
            return Classification("undetermined", "unknown", f"{result.rule}+other-address")
    return result


#: mobile carriers whose sender filter ("domain designation" / "reception settings")
#: refuses a sender in words that read like "user unknown" (au/KDDI, EZweb, NTT docomo,
#: SoftBank and their MVNO brands); recipient domains and their MX hosts
CARRIER_DOMAINS = (
    "ezweb.ne.jp",
    "au.com",
    "docomo.ne.jp",
    "softbank.ne.jp",
    "i.softbank.jp",
    "vodafone.ne.jp",
    "disney.ne.jp",
    "pdx.ne.jp",
    "willcom.com",
    "emnet.ne.jp",
    "ymobile.ne.jp",
    "uqmobile.jp",
)
#: the same carriers' inbound MX hosts: lsean.ezweb.ne.jp, mfsmax.docomo.ne.jp, …
CARRIER_MX = ("ezweb.ne.jp", "docomo.ne.jp", "softbank.jp")


def _quotes_rcpt(diagnostic: str | None, address: str) -> bool:
    """The reply quotes the recipient the way a server answers its RCPT TO command
    ("550 <a@b>: User unknown", "550 <a@b>... User unknown"): the carriers' sender filters
    refuse after DATA and name nobody ("550 : User unknown") or the bare address
    ("550 Unknown user a@b")."""
    if not diagnostic:
        return False
    lowered = diagnostic.lower()
    quoted = f"<{address.lower()}>"
    i = lowered.find(quoted)
    while i >= 0:
        # the reply's own words: right after its code ("550 <a@b>:", "550 5.1.1 <a@b>...")
        if lowered.startswith((":", "..."), i + len(quoted)) and _REPLY_CODE_BEFORE.search(
            lowered, max(0, i - 12), i
        ):
            return True
        i = lowered.find(quoted, i + 1)
    return False


_REPLY_CODE_BEFORE = re.compile(r"[45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3} )?$")


def _is_carrier(address: str, remote_mta: str | None) -> bool:
    if in_domains(address.rpartition("@")[2].lower(), CARRIER_DOMAINS, "@."):
        return True
    if not remote_mta:
        return False
    return in_domains(remote_mta.lower().rstrip("."), CARRIER_MX, ".")


def in_domains(host: str, domains: tuple[str, ...], before: str) -> bool:
    """`host` is one of `domains`, or ends with one after a character of `before`: what the
    regex ``(?:^|[<before>])(?:<domain>|…)$`` finds, its ``$`` matching before a final
    newline too (tests/test_parse_fast_paths.py) -- one `endswith` for most hosts."""
    if host.endswith("\n"):
        host = host[:-1]
    if not host.endswith(domains):
        return False
    size = len(host)
    for domain in domains:
        if host.endswith(domain) and (size == len(domain) or host[-len(domain) - 1] in before):
            return True
    return False


#: (a match starts only where a run of address characters starts: linear on a long word)
_ADDR_IN_TEXT = re.compile(r"(?<![\w.+'=-])[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
#: role addresses a reply may name without being about them ("contact postmaster@…")
_ROLE_LOCALS = frozenset({"postmaster", "abuse", "mailer-daemon", "hostmaster", "support"})


#: what _ADDR_IN_TEXT finds whole, in ASCII (no dot first: `found.strip(".")` keeps it)
_ADDR_SHAPE = re.compile(r"[\w+'=-][\w.+'=-]*@[\w-]+(?:\.[\w-]+)+", re.ASCII)
_DOMAIN_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
#: a character before an address that _ADDR_IN_TEXT would take into it (or into the
#: address before it: "x@a.b@c.d" is "x@a.b")
_BEFORE_CHARS = _DOMAIN_CHARS | frozenset(".+'=@")


def _names_whole(diagnostic: str, address: str) -> bool:
    """The ASCII diagnostic names the recipient's address where _ADDR_IN_TEXT finds it as a
    whole match (nothing of it before, the domain going no further), a role address aside:
    `_other_address` is then False, found without running the regex over the text."""
    if not (diagnostic.isascii() and address.isascii()):
        return False
    lowered = address.lower()
    if lowered.partition("@")[0] in _ROLE_LOCALS or _ADDR_SHAPE.fullmatch(lowered) is None:
        return False
    text = diagnostic.lower()
    i = text.find(lowered)
    while i >= 0:
        j = i + len(lowered)
        if (i == 0 or text[i - 1] not in _BEFORE_CHARS) and (
            text[j : j + 1] not in _DOMAIN_CHARS
            and not (text[j : j + 1] == "." and text[j + 1 : j + 2] in _DOMAIN_CHARS)
        ):
            return True
        i = text.find(lowered, i + 1)
    return False


def _other_address(diagnostic: str, address: str, original: str | None) -> bool:
    """The diagnostic names addresses, none of them this recipient (nor its original
    address, nor its local part at another host of the domain)."""
    if _names_whole(diagnostic, address):
        return False  # (what the search ends with, once it comes to this address)
    return _other_address_searched(diagnostic, address, original)


def _other_address_searched(diagnostic: str, address: str, original: str | None) -> bool:
    """`_other_address` by the search for every address in the diagnostic alone."""
    mine = {address.lower(), (original or "").lower()}
    locals_ = {a.partition("@")[0] for a in mine if a}
    named = False
    for found in _ADDR_IN_TEXT.findall(diagnostic):
        found = found.lower().strip(".")
        local = found.partition("@")[0]
        if local in _ROLE_LOCALS:
            continue
        if found in mine or local in locals_:
            return False
        named = True
    return named
