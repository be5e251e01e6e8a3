"""Sendmail's plain-text returned mail (no message/delivery-status part).

       ----- The following addresses had permanent fatal errors -----
    <nobody@example.org>
        (reason: 550 5.1.1 <nobody@example.org>... User unknown)
       ----- Transcript of session follows -----
    ... while talking to mx.example.org.:
    >>> RCPT To:<nobody@example.org>
    <<< 550 5.1.1 <nobody@example.org>... User unknown

Warnings ("THIS IS A WARNING MESSAGE ONLY", "transient non-fatal errors") are delays.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    cut,
    join_reply,
    message_info,
    remote_host,
    report,
    sender_host,
    server_reply,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.parse.mime import iso_date
from bouncewatch.parse.text import extract_status
from bouncewatch.smtp.command import command_near

_PERMANENT = "----- The following addresses had permanent fatal errors -----"
_TRANSIENT = "----- The following addresses had transient non-fatal errors -----"
_SUCCESS = "----- The following addresses had successful delivery notifications -----"
_SUCCESS_LINE_RE = lazy_compile(r"^<?(" + ADDR_RE.pattern + r")>?\s+\(([^)]*)\)", re.M)
_TRANSCRIPT = "----- Transcript of session follows -----"
_WARNING = "THIS IS A WARNING MESSAGE ONLY"
_ENDS = ("----- Original message follows -----", "----- Message header follows -----")
_ADDR_LINE_RE = lazy_compile(r"^<?(" + ADDR_RE.pattern + r")>?\s*$", re.M)
_REASON_RE = lazy_compile(r"^\s+\(reason: (.*)\)\s*$", re.M)
_RECEIVED_AT_RE = lazy_compile(r"The original message was received at (.+)")
_DEFERRED_RE = lazy_compile(r"^<?(" + ADDR_RE.pattern + r")>?\.\.\. ", re.M)
_EXPIRED_RE = lazy_compile(r"^Message could not be delivered for .+$", re.M)
_OWN_RE = lazy_compile(
    r"^[245][0-9][0-9] ([245]\.[0-9]+\.[0-9]+) <?(" + ADDR_RE.pattern + ")", re.M
)
_CODE_LINE_RE = lazy_compile(r"^[245][0-9][0-9][ -]")
#: sendmail V5 (and 8.x without the address section): the recipient only in the transcript,
#: "554 <nobody@example.org>... 550 Host unknown" (a 4xx line there is a deferral, not a failure)
_V5_RE = lazy_compile(r"^5[0-9][0-9] <(" + ADDR_RE.pattern + r")>\.\.\. (.*)$", re.M)
_TALKING_RE = lazy_compile(r"^(?:\.\.\. )?while talking to ([\w.-]+?)\.?:\s*$", re.M | re.I)
_WITH_HOST_RE = lazy_compile(r"\b(?:with|by) ([\w-]+(?:\.[\w-]+)+)\.?\s*$", re.M)


def _from_transcript(address: str, transcript: str) -> tuple[str | None, str | None]:
    """(diagnostic, remote host) for `address` out of the session transcript."""
    lines = transcript.split("\n")
    host = None
    low = address.lower()
    for i, line in enumerate(lines):
        if line.startswith("... while talking to"):
            host = remote_host(line) or host
        elif line.startswith(">>> ") and low in line.lower():
            reply = server_reply(lines, i + 1)
            if reply:
                return reply, host
        elif low in line.lower() and ("... " in line or "Deferred:" in line):
            m = _WITH_HOST_RE.search(line)
            diag = line if _CODE_LINE_RE.match(line) else line.split("... ", 1)[-1]
            if diag.startswith("Deferred: ") and _CODE_LINE_RE.match(diag[10:]):
                diag = diag[10:]  # "Deferred: 451 4.7.1 …": the server's reply
            return diag, (m.group(1).lower() if m else host)
    host = None
    for i, line in enumerate(lines):
        if line.startswith("... while talking to"):
            host = remote_host(line)
        elif line.startswith("<<< "):
            return server_reply(lines, i), host
    return None, None


def _own_status(address: str, transcript: str) -> str | None:
    """The status sendmail itself gave `address` ("550 5.1.1 <addr>... User unknown")."""
    low = address.lower()
    return next((m[1] for m in _OWN_RE.finditer(transcript) if m[2].lower() == low), None)


def _successes(section: str, transcript: str) -> list[RecipientReport]:
    """Success notices (NOTIFY=SUCCESS): "ok@example.org  (relayed to non-DSN-aware mailer)"."""
    out = []
    for m in _SUCCESS_LINE_RE.finditer(cut(section, _TRANSCRIPT)):
        action = "relayed" if "relayed" in m.group(2) else "delivered"
        diag, host = _from_transcript(m.group(1), transcript)
        out.append(report(m.group(1), action, diag or m.group(2), remote_mta=host))
    return unique(out)


def _v5_recipients(transcript: str) -> list[RecipientReport]:
    """Old sendmail's transcript-only report: each failed recipient on a "5xx <addr>... text"
    line; where the line only says "Remote protocol error", the server's "<<< " reply just
    before it is the explanation."""
    out = []
    for m in _V5_RE.finditer(transcript):
        before = transcript[: m.start()].rstrip("\n").split("\n")
        reply: list[str] = []
        while before and before[-1].startswith("<<< "):
            reply.insert(0, before.pop()[4:])
        talking = list(_TALKING_RE.finditer(transcript, 0, m.start()))
        host = talking[-1].group(1).lower() if talking and reply else None
        diag = join_reply(reply) if reply else m.group(2)
        out.append(report(m.group(1), "failed", diag, remote_mta=host))
    return unique(out)


def sendmail_recipients(text: str) -> list[RecipientReport]:
    """Decode a sendmail-style report (also used by AOL's sendmail-based bounces)."""
    text = cut(text, *_ENDS)
    delayed = _WARNING in text or (_TRANSIENT in text and _PERMANENT not in text)
    action = "delayed" if delayed else "failed"
    head = _TRANSIENT if delayed and _TRANSIENT in text else _PERMANENT
    section = cut(text.split(head, 1)[1], _TRANSCRIPT) if head in text else ""
    transcript = text.split(_TRANSCRIPT, 1)[1] if _TRANSCRIPT in text else ""
    if not section and _SUCCESS in text:
        return _successes(text.split(_SUCCESS, 1)[1], transcript)
    matches = list(_ADDR_LINE_RE.finditer(section))
    if not matches and not delayed and not section:
        return _v5_recipients(transcript)
    if not matches and delayed:  # old warnings list the addresses in the transcript only
        matches = list(_DEFERRED_RE.finditer(transcript))
    tlines = transcript.split("\n")
    replies = [
        server_reply(tlines, i)
        for i, line in enumerate(tlines)
        if line.startswith("<<< ") and (i == 0 or not tlines[i - 1].startswith("<<< "))
    ]
    expired = _EXPIRED_RE.search(transcript)
    out = []
    for i, m in enumerate(matches):
        address = m.group(1)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(section)
        reason = _REASON_RE.search(section[m.end() : end]) if section else None
        diag, host = _from_transcript(address, transcript)
        if reason:
            # "(reason: …)" keeps only the first line of a multi-line reply: find it whole
            first = join_reply([reason.group(1)])
            diag = next((r for r in replies if r and r.startswith(first)), reason.group(1))
        if expired and action == "failed" and diag and expired.group(0) not in diag:
            diag = f"{diag} {expired.group(0)}"
        status = None if extract_status(diag) else _own_status(address, transcript)
        command = command_near(transcript, address) if transcript else None
        out.append(report(address, action, diag, remote_mta=host, status=status, command=command))
    return unique(out)


class SendmailDetector:
    """Sendmail "Returned mail" / "Warning: could not send message" without a DSN part."""

    name = "sendmail"
    title = "Sendmail (no MIME DSN)"
    description = 'MAILER-DAEMON; "The following addresses had permanent fatal errors", "Transcript of session follows"'
    reference = "https://www.sendmail.org/~ca/email/doc8.12/op-sh-4.html (sendmail Installation and Operation Guide)"
    screened = True
    needs = (_TRANSCRIPT, _PERMANENT, _TRANSIENT)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not message_info(msg).daemon:
            return None
        text = body_text(msg)
        if _TRANSCRIPT not in text and _PERMANENT not in text and _TRANSIENT not in text:
            return None
        recipients = sendmail_recipients(text)
        if not recipients:
            return None
        m = _RECEIVED_AT_RE.search(text)
        return Detection(
            kind="bounce",
            recipients=recipients,
            reporting_mta=sender_host(msg),
            arrival_date=iso_date(m.group(1)) if m else None,
        )
