"""Complaints: RFC 5965 Abuse Reporting Format feedback loops (Yahoo, AOL, Outlook JMRP, …),
and Apple Mail's unsubscribe-by-mail requests, which are not ARF but say the same
(X-Apple-Unsubscribe: true; feedback type "opt-out")."""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.dsn_fields import clean_address, clean_host
from bouncewatch.parse.headers import addresses, decode_words, first_address, header, iso_date
from bouncewatch.parse.mime import container_text, find_part, original_headers

_FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
#: Outlook.com JMRP names the complaining mailbox in a header of the returned message
_ORIGINAL_RECIPIENT_HEADERS = ("X-HmXmrOriginalRecipient", "X-Original-Rcpt-To")


class ARF:
    """multipart/report; report-type=feedback-report (or any message/feedback-report part)."""

    name = "arf"

    def detect(self, msg: Message) -> Detection | None:
        if not msg.is_multipart():
            return _unsubscribe(msg)
        report = find_part(msg, "message/feedback-report")
        if report is None:
            return None
        fields = _fields(container_text(report))
        original = original_headers(msg)
        rcpts = [a for a in (clean_address(v) for v in fields.get("original-rcpt-to", [])) if a]
        if not rcpts and original is not None:
            for name in _ORIGINAL_RECIPIENT_HEADERS:
                rcpts = addresses(original, name)
                if rcpts:
                    break
            else:
                rcpts = addresses(original, "To")
        feedback_type = _first(fields, "feedback-type")
        feedback_type = feedback_type.lower() if feedback_type else "abuse"
        arrival = _first(fields, "arrival-date") or _first(fields, "received-date")
        reporter = _first(fields, "user-agent")
        reports = [
            RecipientReport(address=a, diagnostic=f"feedback-type={feedback_type}")
            for a in dict.fromkeys(rcpts)
        ]
        extra = {
            k: v
            for k, v in (
                ("user_agent", reporter),
                ("source_ip", _first(fields, "source-ip")),
                ("original_mail_from", clean_address(_first(fields, "original-mail-from"))),
                ("reported_domain", _first(fields, "reported-domain")),
            )
            if v
        }
        return Detection(
            kind="complaint",
            recipients=reports,
            reporting_mta=clean_host(_first(fields, "reporting-mta")),
            arrival_date=iso_date(arrival),
            feedback_type=feedback_type,
            extra=extra,
        )


def _fields(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            last[-1] = f"{last[-1]} {line.strip()}"
            continue
        m = _FIELD_RE.match(line)
        if m is None:
            last = None
            continue
        last = out.setdefault(m.group(1).lower(), [])
        last.append(m.group(2).strip())
    return out


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return decode_words(values[0]) if values else None


def _unsubscribe(msg: Message) -> Detection | None:
    """Apple Mail's "unsubscribe" button mails the list's unsubscribe address on the user's
    behalf, marked X-Apple-Unsubscribe: true: the sender of the request asked to get no more
    mail, which is what a complaint records."""
    if (header(msg, "X-Apple-Unsubscribe") or "").strip().lower() != "true":
        return None
    address = first_address(msg, "From")
    if not address:
        return None
    return Detection(
        kind="complaint",
        recipients=[RecipientReport(address=address, diagnostic="feedback-type=opt-out")],
        feedback_type="opt-out",
    )
