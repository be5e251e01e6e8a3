"""Exim's plain-text bounces and delay warnings (the pre-DSN layout, still sent by many
hosting set-ups and by Exim builds whose bounce_message_file is customised).

    This message was created automatically by mail delivery software.

    A message that you sent could not be delivered to one or more of its
    recipients. This is a permanent error. The following address(es) failed:

      nobody@example.org
        host mx.example.org [192.0.2.25]
        SMTP error from remote mail server after RCPT TO:<nobody@example.org>:
        550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown

Older releases put "host mx.example.org [192.0.2.25]: 550 …" after the "SMTP error" line;
warnings say "has not yet been delivered" and carry "Delay reason:" lines.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    address_blocks,
    body_text,
    cut,
    join_reply,
    message_info,
    remote_host,
    report,
    sender_host,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile
from bouncewatch.smtp.command import smtp_command

_CREATED = "created automatically by mail delivery software"
_MARKERS = (
    "could not be delivered to one or more of its",
    "has not yet been delivered to one or more of its",
)
_ENDS = (
    "------ This is a copy of the message",
    "------ This is a copy of your message",
    "------ The body of the message is",
    "No action is required on your part.",
    "Reporting-MTA:",
)
#: Exim's notice for recipient addresses it could not even parse ("Mail failure - malformed
#: recipient address"): "  <the address as written>: malformed address: <why>"
_MALFORMED = "recipient addresses that were\nincorrectly constructed:"
_MALFORMED_RE = lazy_compile(r"^  (.+?): (malformed address: .*)$", re.M)
_ANGLE_RE = lazy_compile(r"<(" + ADDR_RE.pattern + r")>")
_SUBJECTS = (
    "mail failure",
    "mail delivery failed",
    "warning: message",
    "undelivered mail",
    "failure notice",
)
# the recipient line: two-space indent, the address, optionally "<addr>" or a comment after it.
_RCPT_LINE_RE = lazy_compile(r"^  <?(" + ADDR_RE.pattern + r")>?(?:[ \t].*)?$", re.M)
_LOCAL_LINE_RE = lazy_compile(r"^  ([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)[ \t]*$", re.M)
_SMTP_ERR_RE = lazy_compile(
    r"SMTP error from remote mail(?:er| server)?(?: after ([^:\n]+(?::<[^>\n]*>(?: [^:\n]*)?)?))?:\s*"
    r"(?:host ([\w.-]+) \[[^\]]+\]:\s*)?(.*)",
    re.S,
)
_GENERATED_RE = lazy_compile(r"\((?:ultimately )?generated from <?(" + ADDR_RE.pattern + r")>?\)")
_QUEUE_HOST_RE = lazy_compile(r"on the queue on ([\w.-]+)")


class EximDetector:
    """Exim plain-text bounces (X-Failed-Recipients, "created automatically by mail delivery
    software") and delay warnings."""

    name = "exim"
    title = "Exim (text bounces, delay warnings)"
    description = 'X-Failed-Recipients or Mailer-Daemon; "This message was created automatically by mail delivery software."'
    reference = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-customizing_bounce_and_warning_messages.html"
    screened = True
    needs = (_MALFORMED, _CREATED)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        failed_hdr = info.raw.get("x-failed-recipients", "")
        if not failed_hdr and not (info.daemon and info.subject.startswith(_SUBJECTS)):
            return None
        text = body_text(msg)
        if _MALFORMED in text:
            return _malformed(text, msg)
        if _CREATED not in text:
            return None
        delayed = _MARKERS[1] in text
        if not delayed and _MARKERS[0] not in text:
            return None
        action = "delayed" if delayed else "failed"
        start = max(text.find(_MARKERS[1] if delayed else _MARKERS[0]), 0)
        section = cut(text[start:], *_ENDS)
        recipients = []
        for address, block in address_blocks(section, _RCPT_LINE_RE):
            recipients.append(_recipient(address, action, block))
        if not recipients and failed_hdr:
            # a recipient written as its local part only ("  jo", as Exim lists an address
            # it was given without a domain): X-Failed-Recipients has the whole address
            failed = {a.partition("@")[0].lower(): a for a in ADDR_RE.findall(failed_hdr)}
            for local, block in address_blocks(section, _LOCAL_LINE_RE):
                if local.lower() in failed:
                    recipients.append(_recipient(failed[local.lower()], action, block))
        if not recipients and failed_hdr:
            recipients = [report(a, action, None) for a in ADDR_RE.findall(failed_hdr)]
        recipients = unique(recipients)
        if not recipients:
            return None
        m = _QUEUE_HOST_RE.search(text)
        reporting = m.group(1) if m else sender_host(msg)
        return Detection(kind="bounce", recipients=recipients, reporting_mta=reporting)


def _malformed(text: str, msg: Message) -> Detection | None:
    """The addresses Exim ignored as malformed (the one in <…> when the entry has both)."""
    out = []
    for m in _MALFORMED_RE.finditer(cut(text, *_ENDS)):
        angle = _ANGLE_RE.search(m.group(1))
        plain = ADDR_RE.findall(m.group(1))
        address = angle.group(1) if angle else (plain[-1] if plain else None)
        if address:
            out.append(report(address, "failed", m.group(2)))
    recipients = unique(out)
    if not recipients:
        return None
    return Detection(kind="bounce", recipients=recipients, reporting_mta=sender_host(msg))


def _recipient(address: str, action: str, block: str) -> RecipientReport:
    lines = [ln.strip() for ln in block.strip("\n").split("\n")]
    generated = [m.group(1) for ln in lines if (m := _GENERATED_RE.match(ln))]
    lines = [ln for ln in lines if ln and not _GENERATED_RE.match(ln)]
    body = "\n".join(lines).replace("Delay reason: ", "")
    host = remote_host(body)
    m = _SMTP_ERR_RE.search(body)
    if m:
        if m.group(2):
            host = m.group(2).lower()
        diagnostic = m.group(3)
    else:
        diagnostic = "\n".join(ln for ln in body.split("\n") if not ln.startswith("host "))
    diagnostic = join_reply(diagnostic.split("\n")) if diagnostic else body
    original = generated[-1] if generated else None
    return report(
        address,
        action,
        diagnostic,
        remote_mta=host,
        original_recipient=original,
        command=smtp_command(body),  # "SMTP error from remote mail server after RCPT TO:<…>"
    )
