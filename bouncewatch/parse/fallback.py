"""Last resort for bounce-looking messages no decoder knows: GNU Mailman's flufl.bounce
heuristics give the addresses; the status and diagnostic near each address come from the text."""

from __future__ import annotations

import logging
import re
from email.message import Message

from flufl.bounce import all_failures

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.headers import items
from bouncewatch.parse.headers import raw as raw_header
from bouncewatch.parse.mime import human_text, looks_like_bounce
from bouncewatch.parse.text import extract_reply_code, extract_status, squash

log = logging.getLogger("bouncewatch.parse.fallback")
# flufl.bounce logs every detector it tries at INFO and tracebacks at ERROR; we catch and
# report its failures ourselves, one line each.
logging.getLogger("flufl.bounce").propagate = False
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())

_WINDOW = 400
#: cheap pre-filter for a line that may hold a reply code or a status (confirmed by text.py,
#: which also refuses the digits of an IP address such as "(10.2.0.14)")
_CODE_HINT_RE = re.compile(r"[245]\d\d|[245]\.\d")


class FluflFallback:
    """flufl.bounce's heuristic detectors, addresses only, on messages that look like bounces."""

    name = "flufl"

    def detect(self, msg: Message) -> Detection | None:
        if not looks_like_bounce(msg) or not _may_name_addresses(msg):
            return None
        temporary, permanent = all_failures(msg)
        if not temporary and not permanent:
            return None
        text = human_text(msg)
        reports = []
        for action, found in (("failed", permanent), ("delayed", temporary - permanent)):
            for raw in sorted(found):
                address = _to_str(raw)
                if address and "@" in address:
                    reports.append(_near(address, action, text))
        return Detection(kind="bounce", recipients=reports) if reports else None


#: transfer encodings under which an "@" can hide from a look at the raw payload
_PLAIN_CTES = frozenset({"", "7bit", "8bit", "binary", "quoted-printable"})


def _may_name_addresses(msg: Message) -> bool:
    """Could flufl.bounce find an address in `msg` at all?  Its detectors return addresses
    written in X-Failed-Recipients, in the parts' bodies or in the fields of sub-parts (status
    blocks, attached messages), plus AOL and Yale ones built from the sender's domain.  False
    only when none of these holds an "@" (or an encoded one): the heuristics then have nothing
    to return, and skipping them saves their forty scans of a message that is no bounce."""
    if raw_header(msg, "X-Failed-Recipients") is not None:
        return True
    sender = (raw_header(msg, "From") or "").lower()
    if "aol.com" in sender or "yale.edu" in sender or "=?" in sender:
        return True
    for part in msg.walk():
        if part is not msg:
            for _, value in items(part):
                if not isinstance(value, str) or "@" in value or "=?" in value:
                    return True
        for text in (part.preamble, part.epilogue):
            if text is not None and (not isinstance(text, str) or "@" in text):
                return True
        payload = part._payload  # type: ignore[attr-defined]
        if isinstance(payload, str):
            if "@" in payload or "=40" in payload:
                return True
            cte = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
            if cte not in _PLAIN_CTES:
                return True
        elif payload is not None and not isinstance(payload, list):
            return True
    return False


def _to_str(raw: bytes | str) -> str:
    value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return value.strip().strip("<>").strip()


def _near(address: str, action: str, text: str) -> RecipientReport:
    """Status, reply code and diagnostic line found just after the address in the text.

    The codes the remote server gave outrank flufl.bounce's guess of the action: its
    detectors call some permanent refusals temporary (and the reverse), while a "550 5.7.1"
    or a "452 4.2.2" next to the address says which it was."""
    pos = text.lower().find(address.lower())
    window = text[pos : pos + _WINDOW] if pos >= 0 else ""
    diagnostic = status = code = None
    for line in window.split("\n"):
        if _CODE_HINT_RE.search(line) is None:
            continue
        status, code = extract_status(line), extract_reply_code(line)
        if status or code:
            diagnostic = squash(line)
            break
    first = status[0] if status else str(code)[0] if code else None
    if first == "5":
        action = "failed"
    elif first == "4":
        action = "delayed"
    return RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=code,
        diagnostic=diagnostic,
    )
