"""GMX / WEB.DE / 1&1 (IONOS) returned mail: Exim's wording, a layout of their own, no DSN:

    This message was created automatically by mail delivery software.

    A message that you sent could not be delivered to one or more of
    its recipients. This is a permanent error. The following address
    failed:

    "nobody@example.org":
    SMTP error from remote server after RCPT command:
    host: mx.example.org
    5.1.1 <nobody@example.org>... User Unknown

or (1&1) the address alone, then "For the following reason:" / "Reason:" and its text; the
quoted headers follow "--- The header of the original message is following. ---".
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    address_blocks,
    body_text,
    cut,
    message_info,
    quoted_headers,
    report,
    sender_host,
    unique,
)
from bouncewatch.parse.lazyre import lazy_compile

_CREATED = "created automatically by mail delivery software"
_FAILED_RE = lazy_compile(r"The following\s+address(?:es)?\s+failed:", re.S)
_ORIGINAL = "--- The header of the original message is following. ---"
#: the address alone on its line: bare, in <>, or quoted and followed by ":"
_RCPT_RE = lazy_compile(r"^[ \t]*[\"<]?(" + ADDR_RE.pattern + r")[\">]?:?[ \t]*$", re.M)
_HOST_RE = lazy_compile(r"^host:[ \t]*([\w.-]+)[ \t]*$", re.M)
_LABELS_RE = lazy_compile(r"^(?:For the following reason:|Reason:)[ \t]*$", re.M)
_SMTP_ERROR_RE = lazy_compile(
    r"^SMTP error from remote server (?:after|for) ([A-Z ]+?) command:", re.M
)


class GmxDetector:
    """GMX / WEB.DE / 1&1: "The following address failed:" + "Reason:" or "host:" lines."""

    name = "gmx"
    title = "GMX / WEB.DE / 1&1 (IONOS)"
    description = (
        '"created automatically by mail delivery software", "The following address failed:",'
        ' the address alone, then "Reason:" / "SMTP error … host: …", then "--- The header of'
        ' the original message is following. ---"'
    )
    reference = "https://postmaster.1und1.de/en/error-messages (1&1 / IONOS error messages)"
    screened = True
    needs = (_ORIGINAL,)  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        if not message_info(msg).daemon:
            return None
        text = body_text(msg)
        if _CREATED not in text or _ORIGINAL not in text:
            return None
        failed = _FAILED_RE.search(text)
        if failed is None:
            return None
        section = cut(text[failed.end() :], _ORIGINAL)
        out = []
        for address, block in address_blocks(section, _RCPT_RE):
            host = _HOST_RE.search(block)
            command = _SMTP_ERROR_RE.search(block)
            lines = [
                ln.strip()
                for ln in _LABELS_RE.sub("", _HOST_RE.sub("", _SMTP_ERROR_RE.sub("", block)))
                .strip()
                .splitlines()
                if ln.strip()
            ]
            diagnostic = " ".join(lines)
            if command and diagnostic:
                diagnostic = f"{diagnostic} (in reply to {command.group(1)} command)"
            remote = host.group(1).lower() if host else None
            out.append(report(address, "failed", diagnostic or None, remote_mta=remote))
        recipients = unique(out)
        if not recipients:
            return None
        quoted = text[text.index(_ORIGINAL) + len(_ORIGINAL) :]
        return Detection(
            kind="bounce",
            recipients=recipients,
            reporting_mta=sender_host(msg),
            extra={"original_headers": quoted_headers(quoted)},
        )
