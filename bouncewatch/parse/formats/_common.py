"""Helpers shared by the non-standard bounce decoders (and only by them).

Everything here is cheap on rejection: the headers decoders look at are indexed once per
message (`message_info`); the body text is decoded at most once per message, and only
after a decoder's header checks passed.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from bouncewatch.model import ACTIONS, RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.bodytext import all_text, leaf_text, strip_html
from bouncewatch.parse.headers import MAX_DECODED
from bouncewatch.parse.text import extract_reply_code, extract_status, squash
from bouncewatch.smtp.command import smtp_command

#: a plain mailbox address (local@domain.tld), as found in bounce texts.
#: (a match starts only where a run of local-part characters starts: a long run without "@"
#: is then tried once, not from each of its characters -- linear, and the same leftmost
#: matches, since a match inside a run always extends to the run's start)
ADDR_RE = re.compile(
    r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
#: an address alone on its line, possibly in <>, possibly followed by ":" (qmail, Yahoo).
ADDR_LINE_RE = re.compile(r"^[ \t]*<?(" + ADDR_RE.pattern + r")>?:?[ \t]*$", re.M)

#: local parts of the senders that bounces come from.
_DAEMON_LOCALPARTS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon", "mdaemon"}
)
_DAEMON_NAME_RE = re.compile(r"mail delivery (?:subsystem|system|service)|mailer.?daemon", re.I)
#: the address in a From: value.  The bare form is only tried where a run of non-blanks starts
#: (the leftmost match starts there anyway): a long From without @ is scanned once
_FROM_ADDR_RE = re.compile(r"<([^<>]*)>|(?<!\S)(\S+@\S+)")

# remote host names as decoders find them: "host mx.example.org[192.0.2.1]",
# "host mx.example.org [192.0.2.1]", "while talking to mx.example.org.:"
_HOST_RES = (
    re.compile(r"\bhost ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\s*\[[0-9A-Fa-f.:]+\]"),
    re.compile(r"\bwhile talking to ([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\.?:"),
    re.compile(
        r"\b(?:connect to|conversation with|delivery via) "
        r"([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\[[0-9A-Fa-f.:]+\]"
    ),
)

#: bytes of body text decoded at most: bounce reports are short, originals can be huge.
MAX_TEXT = 256 * 1024


class MessageInfo:
    """What decoders read from a message, computed once per message: every decoder looks at
    a few headers (and `Message.get` scans and lower-cases all of them on each call); the
    body text is decoded at most once, and only when a decoder's header checks pass."""

    __slots__ = ("_ms_exchange", "daemon", "decoded", "raw", "sender", "subject", "text")

    def __init__(self, msg: Message) -> None:
        raw: dict[str, str] = {}
        # (the header list itself, which `raw_items` copies first; a value is most often
        # text already, which str() would give back as it is)
        for name, value in msg._headers:  # type: ignore[attr-defined]
            key = name.lower()
            if key not in raw:
                raw[key] = value if type(value) is str else str(value)
        self.raw = raw
        self.decoded: dict[str, str] = {}
        self._ms_exchange: bool | None = None
        value = raw.get("from", "")
        m = _FROM_ADDR_RE.search(value)
        if m is None:
            self.sender = value.strip().lower()
        else:
            self.sender = (m.group(1) if m.group(1) is not None else m.group(2)).strip().lower()
        self.daemon = (
            self.sender in ("", "@")
            or self.sender.partition("@")[0] in _DAEMON_LOCALPARTS
            # a misspelt or rewritten address under the usual display name ("Mail Delivery
            # Subsystem <poostmaster@…>", "Mail Delivery System <bounce-1234@…>")
            or (
                m is not None
                and _DAEMON_NAME_RE.search(value[: m.start()] + value[m.end() :]) is not None
            )
        )
        subject = raw.get("subject", "")
        if "=?" in subject:
            subject = _decoded(subject)
        self.subject = " ".join(subject.split()).lower()
        self.text: str | None = None

    @property
    def ms_exchange(self) -> bool:
        """An X-MS-Exchange-* header is there (worked out when a decoder first asks: few do)."""
        if self._ms_exchange is None:
            self._ms_exchange = any(map(_MS_EXCHANGE, self.raw))
        return self._ms_exchange


_MS_EXCHANGE = operator.methodcaller("startswith", "x-ms-exchange")


def _decoded(value: str) -> str:
    """`value` with its encoded words decoded; as written when they are malformed (a bogus
    charset) or too many (the standard library's decoding is quadratic in their number)."""
    if len(value) > MAX_DECODED:
        return value
    with contextlib.suppress(ValueError, LookupError, UnicodeError, MessageError):
        return str(make_header(decode_header(value)))
    return value


def message_info(msg: Message) -> MessageInfo:
    """The decoders' view of `msg`, computed once per message.  The registry hands the same
    message to every decoder in turn: the view is kept on the message itself, and goes with
    it (nothing decoded outlives the message it came from)."""
    try:
        return msg._bouncewatch_info  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        info = msg._bouncewatch_info = MessageInfo(msg)  # type: ignore[attr-defined]
        return info


def headers(msg: Message) -> dict[str, str]:
    """Lower-cased header name -> first raw value (not decoded)."""
    return message_info(msg).raw


def header(msg: Message, name: str) -> str:
    """The header's value as text (RFC 2047 decoded, unfolded), or "" when absent."""
    info = message_info(msg)
    value = info.decoded.get(name)
    if value is None:
        raw = info.raw.get(name.lower(), "")
        if "=?" in raw:
            raw = _decoded(raw)
        value = info.decoded[name] = " ".join(raw.split())
    return value


def decoded_text(msg: Message) -> str | None:
    """`body_text(msg)` if a decoder has had it decoded already, else None (nothing is
    decoded here)."""
    info = getattr(msg, "_bouncewatch_info", None)
    return info.text if info is not None else None


def subject(msg: Message) -> str:
    """The Subject, decoded and lower-cased (what decoders compare against)."""
    return message_info(msg).subject


def from_daemon(msg: Message) -> bool:
    """True when From is a mailer daemon / postmaster, or the null sender ("<>", "<@>")."""
    return message_info(msg).daemon


def decode_part(part: Message) -> str:
    """A leaf part's payload as text: transfer-decoded, charset-decoded, LF line endings
    (`bodytext.part_text`; "" for a part the stdlib cannot read), at most MAX_TEXT long."""
    return leaf_text(part)[:MAX_TEXT]


def html_to_text(html: str) -> str:
    """Readable text of an HTML part (`bodytext.strip_html`)."""
    return strip_html(html)


def body_text(msg: Message) -> str:
    """The human-readable report: all text/plain parts outside attached messages (HTML
    converted when there is no plain text), decoded, LF line endings.  Decoded once."""
    info = message_info(msg)
    text = info.text
    if text is None:
        text = info.text = all_text(msg, MAX_TEXT)
    return text


def contains_any(text: str, markers: Iterable[str]) -> bool:
    """Whether one of `markers` occurs in `text` (`any(m in text for m in markers)`, without
    a generator's cost at each call)."""
    for marker in markers:  # noqa: SIM110 -- the loop is the point
        if marker in text:
            return True
    return False


def find_first(text: str, markers: Iterable[str]) -> int:
    """Where the first of `markers` (in their order of preference) occurs in text, or -1."""
    for marker in markers:
        start = text.find(marker)
        if start >= 0:
            return start
    return -1


def cut(text: str, *markers: str) -> str:
    """`text` up to the first of `markers` (where the copy of the original usually starts)."""
    end = len(text)
    for marker in markers:
        i = text.find(marker)
        if 0 <= i < end:
            end = i
    return text[:end]


def between(text: str, start: str, *ends: str) -> str | None:
    """The text after `start` up to the first of `ends` (or the end); None if no `start`."""
    i = text.find(start)
    if i < 0:
        return None
    return cut(text[i + len(start) :], *ends) if ends else text[i + len(start) :]


def remote_host(text: str) -> str | None:
    """The remote MTA named in a decoder's paragraph ("host mx.example.org[192.0.2.1]")."""
    for pattern in _HOST_RES:
        m = pattern.search(text)
        if m:
            return m.group(1).rstrip(".").lower()
    return None


def sender_host(msg: Message) -> str | None:
    """The host part of the daemon's From address ("Mailer-Daemon@mail.example.com"): for
    MTAs that write their own name there, the reporting MTA."""
    host = message_info(msg).sender.rpartition("@")[2]
    return host if "." in host else None


def iso_timestamp(value: object) -> str | None:
    """An ISO 8601 timestamp ("2026-11-23T01:00:01.000Z") as "2026-11-23T01:00:01Z" (UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean_address(addr: str) -> str:
    """An address as a decoder found it, without the brackets, quotes and punctuation around
    it; a quoted local part ("first..last"@example.org) keeps its quotes."""
    addr = addr.strip().rstrip(".:;,").strip("<>").rstrip(".:;,").strip()
    if addr[:1] in ("'", '"') and not (addr[0] == '"' and '"@' in addr):
        addr = addr.strip("\"'")
    return addr.rstrip(".:;,").strip()


def report(
    address: str,
    action: str | None,
    diagnostic: str | None,
    *,
    remote_mta: str | None = None,
    status: str | None = None,
    smtp_code: int | None = None,
    original_recipient: str | None = None,
    command: str | None = None,
) -> RecipientReport:
    """A RecipientReport whose status / reply code come from the diagnostic unless given;
    `command`: the SMTP command the refusal answered ("RCPT", "DATA", …), when the report
    says (`bouncewatch.smtp.command.smtp_command` reads it from the text about the
    recipient), else read from the diagnostic."""
    diag, read_status, read_code, read_command = _read_diagnostic(diagnostic)
    return RecipientReport(
        address=clean_address(address),
        action=action,
        status=status if status is not None else read_status,
        smtp_code=smtp_code if smtp_code is not None else read_code,
        diagnostic=diag,
        remote_mta=remote_mta,
        original_recipient=clean_address(original_recipient) if original_recipient else None,
        command=command or read_command,
    )


@functools.lru_cache(maxsize=1)  # the recipients sharing a text come one after another
def _read_diagnostic(
    diagnostic: str | None,
) -> tuple[str | None, str | None, int | None, str | None]:
    """(squashed diagnostic, its status, reply code, SMTP command): once per text, however
    many recipients share it (a notice naming thousands in X-Failed-Recipients)."""
    diag = squash(diagnostic)
    return diag, extract_status(diag), extract_reply_code(diag), smtp_command(diag)


def unique(reports: Iterable[RecipientReport]) -> list[RecipientReport]:
    """Reports with the first one kept per address (case-insensitive)."""
    seen: set[str] = set()
    out: list[RecipientReport] = []
    for r in reports:
        key = r.address.lower()
        if key and key not in seen:
            seen.add(key)
            out.append(r)
    return out


def address_blocks(text: str, line_re: re.Pattern[str] = ADDR_LINE_RE) -> list[tuple[str, str]]:
    """(address, the text that follows it up to the next address line) for every line
    matching `line_re` (group 1 = address): the "address, then its explanation" layout
    of qmail, Yahoo, Exim, Courier and many others."""
    matches = list(line_re.finditer(text))
    out: list[tuple[str, str]] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append((m.group(1), text[m.end() : end]))
    return out


_REPLY_LINE_RE = re.compile(r"^([245][0-9][0-9])([ -])(?:([245]\.[0-9]{1,3}\.[0-9]{1,3}) )?(.*)$")


def join_reply(lines: list[str]) -> str:
    """One text out of a multi-line SMTP reply ("550-5.1.1 a", "550 5.1.1 b" → "550 5.1.1 a b")."""
    parts: list[str] = []
    for i, line in enumerate(lines):
        m = _REPLY_LINE_RE.match(line.strip())
        if not m:
            parts.append(line.strip())
        elif i == 0:
            parts.append(" ".join(p for p in (m.group(1), m.group(3), m.group(4)) if p))
        else:
            parts.append(m.group(4))
    return " ".join(p for p in parts if p)


def server_reply(lines: list[str], start: int) -> str | None:
    """The server's reply in a session transcript: the "<<< " lines from `start` on (a
    multi-line reply joined), or None when another command or session comes first."""
    for i in range(start, len(lines)):
        if lines[i].startswith("<<< "):
            block = []
            for line in lines[i:]:
                if not line.startswith("<<< "):
                    break
                block.append(line[4:])
            return join_reply(block)
        if lines[i].startswith((">>> ", "... ")):
            return None
    return None


_QUOTED_FIELD_RE = re.compile(r"^([!-9;-~]+)[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)", re.M)


def quoted_headers(text: str) -> dict[str, str]:
    """The header block a plain-text bounce quotes from the returned message (what follows
    its "Message headers follow." line), as name -> first value (unfolded): for the sent
    message's Message-ID and list headers when there is no message/rfc822 part."""
    block = re.split(r"\n[ \t]*\n", text.lstrip("\n"), maxsplit=1)[0]
    out: dict[str, str] = {}
    for name, value in _QUOTED_FIELD_RE.findall(block):
        out.setdefault(name, " ".join(value.split()))
    return out


def _action(value: str | None) -> str:
    """An Action field's value, its first word only ('failed boundary="…"' from a report
    whose lines were run together is "failed"); "failed" where it names no action."""
    words = (value or "").lower().replace(";", " ").split(None, 1)
    return words[0] if words and words[0] in ACTIONS else "failed"


def embedded_dsn(text: str) -> tuple[str | None, list[RecipientReport]]:
    """(reporting MTA, recipients) out of delivery-status fields written into a text part
    ("Technical report:" followed by Reporting-MTA / Final-Recipient / Action / Status /
    Diagnostic-Code lines), as providers that send no message/delivery-status part do."""
    from bouncewatch.parse.dsn_fields import clean_address as dsn_address
    from bouncewatch.parse.dsn_fields import clean_host, parse_fields, strip_type

    fields, groups = parse_fields(text)
    out = []
    for group in groups:
        address = dsn_address(group.get("final-recipient")) or dsn_address(
            group.get("original-recipient")
        )
        if not address or "@" not in address:
            continue
        status = strip_type(group.get("status"))
        found = report(
            address,
            _action(group.get("action")),
            strip_type(group.get("diagnostic-code")),
            remote_mta=clean_host(group.get("remote-mta")),
        )
        if status and found.status is None:
            m = re.match(r"[245]\.\d{1,3}\.\d{1,3}", status)
            found = report(
                address,
                found.action,
                found.diagnostic,
                remote_mta=found.remote_mta,
                status=m.group(0) if m else None,
            )
        out.append(found)
    return clean_host(fields.get("reporting-mta")), unique(out)


def bounce(reports: Iterable[RecipientReport], **fields: Any) -> Detection | None:
    """A "bounce" detection of `reports` (the first report per address kept), or None when
    there is none: how a decoder ends."""
    recipients = unique(reports)
    return Detection(kind="bounce", recipients=recipients, **fields) if recipients else None
