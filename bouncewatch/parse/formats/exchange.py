"""Microsoft Exchange text NDRs, for the many relays that deliver them without a DSN part.

Exchange 2007 and later, Outlook.com / Microsoft 365 (the "administrators" section is what
is decoded; the human text above it is only a fallback):

    Delivery has failed to these recipients or groups:
    …
    Diagnostic information for administrators:
    Generating server: EXCH01.corp.example.com

    nobody@example.org
    #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##      (2007)
    mx.example.org #550 5.1.1 <…>: Recipient address rejected ##
    Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'   (2010+)

Exchange 2000/2003 ("The following recipient(s) cannot be reached:" — "could not be reached"
from the older Internet Mail Connector, with "MSEXCH:IMC:…" lines — with
"<mail.example.com #5.0.0 smtp;550 5.1.1 …>") and Exchange 5.5 / X.400 ("did not reach the
following recipient(s):" with "MSEXCH:IMS:…" lines); "Delivery is delayed" warnings.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    contains_any,
    cut,
    find_first,
    message_info,
    report,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.parse.text import extract_status

#: Exchange 5.5's Internet Mail Connector ("address on date" lines, "MSEXCH:IMC:…"); Kerio
#: Connect writes the same sentence with its own layout, which is not read here
_IMC = "The following recipient(s) could not be reached"
_FAILED = (
    # "… or groups" (2010+), "… or distribution lists" (2007)
    "Delivery has failed to these recipients or ",
    "rejected your message to the following email address",  # 2013+: "<host> rejected …"
    "\u00c9chec de la remise pour ces destinataires ou groupes",  # French
    "Unzustellbar an folgende Empf\u00e4nger oder Gruppen",  # German
    "The following recipient(s) cannot be reached",
    _IMC,
    "did not reach the following recipient(s)",
)
_DELAYED = "Delivery is delayed to these recipients or groups"
_ADMINS = (
    "Diagnostic information for administrators:",
    "Informations de diagnostic pour les administrateurs\u00a0:",
    "Informations de diagnostic pour les administrateurs :",
    "Diagnoseinformationen f\u00fcr Administratoren:",
)
_ENDS = (
    "Original message headers:",
    "Original Message Headers",
    "\n-----Original Message",
    "En-t\u00eates de message d'origine",
    "Urspr\u00fcngliche Nachrichtenkopfzeilen",
)
_SUBJECTS = ("undeliverable", "delivery status notification", "delivery delayed", "nondeliver")
_ADDR_ALONE_RE = lazy_compile(r"^[ \t]*(" + ADDR_RE.pattern + r")(?:[ \t]*<mailto:[^>]*>)?[ \t]*$")
_ADDR_ON_RE = lazy_compile(r"^[ \t]*'?(" + ADDR_RE.pattern + r")'? on ")
_GEN_RE = lazy_compile(
    r"(?:Generating server|Serveur de g\u00e9n\u00e9ration|Generierender Server)[ \u00a0]?: ([\w.-]+)"
)
_RETURNED_RE = lazy_compile(r"returned '(.*)'")
_SERVER_AT_RE = lazy_compile(r"Server at ([\w.-]+)")
_HASH_RE = lazy_compile(r"^(?:([\w.-]+) )?#(\d{3}[ -].*?)\s*##\s*$")
_MAPI_RE = lazy_compile(r"#<\s*(?:[\w.-]+ )?#([245]\.\d{1,3}\.\d{1,3})(?: smtp;(.*?))?>\s*#SMTP#")
_X400_RE = lazy_compile(r"<([\w.-]+) #([245]\.\d{1,3}\.\d{1,3})(?: smtp;(.*))?>\s*$")


def _is_exchange(msg: Message) -> bool:
    info = message_info(msg)
    return info.daemon or info.ms_exchange or info.subject.startswith(_SUBJECTS)


def _blocks(text: str, line_re: re.Pattern[str]) -> list[tuple[str, list[str]]]:
    """(address, following lines) for every address line; blocks end at the next address."""
    out: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        m = line_re.match(line)
        if m:
            out.append((m.group(1), []))
        elif out and line.strip():
            out[-1][1].append(line.strip())
    return out


def _admin_recipient(address: str, lines: list[str], action: str) -> RecipientReport:
    host = None
    for line in lines:
        m = _HASH_RE.match(line)
        if m:
            return report(address, action, m.group(2), remote_mta=m.group(1) and m.group(1).lower())
        m = _MAPI_RE.search(line)
        if m:  # as Outlook renders it: "#< #5.1.1 smtp;550 5.1.1 …> #SMTP#"
            smtp = (m.group(2) or "").strip()
            return report(address, action, smtp or line, status=extract_status(smtp) or m.group(1))
    returned = [m.group(1) for ln in lines if (m := _RETURNED_RE.search(ln))]
    if not returned:  # a long reply wrapped before its closing quote: the block as one line
        returned = _RETURNED_RE.findall(" ".join(lines))
    if returned:
        at = [m.group(1) for ln in lines if (m := _SERVER_AT_RE.search(ln))]
        host = at[-1].lower() if at else None
        return report(address, action, returned[-1], remote_mta=host)
    return report(address, action, " ".join(lines))


#: Exchange 5.5 / 2000 / 2003 diagnostic codes ("MSEXCH:IMS:ORG:SITE:SERVER 0 (000C05A6)
#: Unknown Recipient") whose meaning an RFC 3463 status states exactly
_MSEXCH_RE = lazy_compile(r"MSEXCH:\S.*?\(([0-9A-F]{8})\)")
_MSEXCH_STATUS = {
    "000C05A6": "5.1.1",  # Unknown Recipient
    "00120270": "5.4.6",  # Too Many Hops (a routing loop)
    "00010256": "5.5.3",  # Too many recipients
}


def _legacy_recipient(address: str, lines: list[str], action: str) -> RecipientReport:
    lines = [ln for ln in lines if not ln.startswith("The MTS-ID of the original message")]
    m = _MSEXCH_RE.search(" ".join(lines))
    if m and m.group(1) in _MSEXCH_STATUS:
        return report(address, action, " ".join(lines), status=_MSEXCH_STATUS[m.group(1)])
    for line in lines:
        m = _X400_RE.search(line)
        if m and m.group(3):
            smtp = m.group(3).strip()
            return report(address, action, smtp, status=extract_status(smtp) or m.group(2))
        if m:
            return report(address, action, " ".join(lines), status=m.group(2))
    return report(address, action, " ".join(lines))


class ExchangeDetector:
    """Exchange / Outlook.com text NDRs ("Delivery has failed to these recipients or groups",
    "The following recipient(s) cannot be reached", "did not reach the following recipient(s)")."""

    name = "exchange"
    title = "Microsoft Exchange 5.5–2019"
    description = '"Delivery has failed to these recipients or groups", "The following recipient(s) cannot be reached", "did not reach the following recipient(s)", "Delivery is delayed…"'
    reference = "https://learn.microsoft.com/en-us/exchange/mail-flow/non-delivery-reports-and-bounce-messages/non-delivery-reports-and-bounce-messages"
    screened = True
    needs = (_DELAYED, *_FAILED)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not _is_exchange(msg):
            return None
        body = body_text(msg)
        if _DELAYED not in body and not contains_any(body, _FAILED):
            return None  # (the text below is a prefix of the body: none there either)
        text = cut(body, *_ENDS)
        action = "delayed" if _DELAYED in text else "failed"
        if action == "failed" and not contains_any(text, _FAILED):
            return None
        gen = _GEN_RE.search(text)
        recipients: list[RecipientReport] = []
        admin_at = find_first(text, _ADMINS)
        if admin_at >= 0:
            admin = text[admin_at:].split("\n", 1)[-1]
            for address, lines in _blocks(admin, _ADDR_ALONE_RE):
                recipients.append(_admin_recipient(address, lines, action))
        if not recipients:
            start = max(text.find(m) for m in (*_FAILED, _DELAYED))
            for address, lines in _blocks(text[start:], _ADDR_ON_RE):
                recipients.append(_legacy_recipient(address, lines, action))
        imc_only = _IMC in text and not any(m in text for m in _FAILED if m != _IMC)
        if not recipients and not imc_only:
            start = max(text.find(m) for m in (*_FAILED, _DELAYED))
            human = cut(text[start:], *_ADMINS)
            for address, lines in _blocks(human, _ADDR_ALONE_RE):
                recipients.append(report(address, action, " ".join(lines)))
        recipients = unique(recipients)
        if not recipients:
            return None
        return Detection(kind="bounce", recipients=recipients, reporting_mta=gen and gen.group(1))
