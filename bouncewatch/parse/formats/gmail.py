"""Gmail's text-only failure notices (mailer-daemon@googlemail.com / @google.com).

Before 2015:

    Delivery to the following recipient failed permanently:

         nobody@example.org

    Technical details of permanent failure:
    Google tried to deliver your message, but it was rejected by the server for the
    recipient domain example.org by mx.example.org. [192.0.2.25].

    The error that the other server returned was:
    550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown

("… has been delayed:" / "Technical details of temporary failure:" for delays.)  Since
2015 the text reads "Address not found / Your message wasn't delivered to … because …" or
"Message not delivered / There was a problem delivering your message to …", with "The
response from the remote server was:" / "The response was:" before the server's reply.
"""

from __future__ import annotations

from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_LINE_RE,
    ADDR_RE,
    body_text,
    contains_any,
    cut,
    header,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_ENDS = ("----- Original message -----", "----- Message truncated -----", "\n----- ")
_OLD_FAILED = "Delivery to the following recipient failed permanently:"
_OLD_FAILED_N = "Delivery to the following recipients failed permanently:"
_OLD_DELAYED = "Delivery to the following recipient has been delayed:"
_NEW_RE = lazy_compile(
    r"(?:Your message wasn't delivered to|There was a (?:temporary )?problem delivering your"
    r" message to) (" + ADDR_RE.pattern + r")"
)
#: what each layout needs: one of the old headings, or the literal parts of _NEW_RE
_MARKERS = (
    _OLD_FAILED,
    _OLD_FAILED_N,
    _OLD_DELAYED,
    "Your message wasn't delivered to ",
    "problem delivering your message to ",
)
_TEMPORARY = ("There was a temporary problem delivering", "Gmail will retry")
_ERROR_MARKERS = (
    "The error that the other server returned was:",
    "The response from the remote server was:",
    "The response was:",
)
_HEADING_RE = lazy_compile(r"^\s*Technical details of (?:permanent|temporary) failure:\s*")
_BY_HOST_RE = lazy_compile(r"\bby ([\w-]+(?:\.[\w-]+)+)\.? \[[0-9a-fA-F.:]+\]")
_BRACKET_HOST_RE = lazy_compile(r"\[([\w-]+(?:\.[\w-]+)+)\.? [0-9a-fA-F.:]+")
_STATE_RE = lazy_compile(r"\s*\(state \d+\)\.?\s*$")
_LEARN_RE = lazy_compile(r"Learn more (?:here|at)[: ]\s*\S+\s*")
_DOUBLED_RE = lazy_compile(r"^([245]\d\d) (?=[245]\d\d[ -])")


def _reply(details: str) -> tuple[str, str | None]:
    """(the server's reply or Google's own text, remote host) from the details section."""
    m = _BY_HOST_RE.search(details) or _BRACKET_HOST_RE.search(details)
    host = m.group(1).lower() if m else None
    for marker in _ERROR_MARKERS:
        i = details.find(marker)
        if i >= 0:
            details = details[i + len(marker) :]
            break
    else:
        details = _HEADING_RE.sub("", details, count=1)
    text = _LEARN_RE.sub("", " ".join(details.split()))
    text = _DOUBLED_RE.sub("", _STATE_RE.sub("", text))
    return text, host


class GmailDetector:
    """Gmail's text-only failure and delay notices."""

    name = "gmail"
    title = "Gmail text notices"
    description = (
        'A mailer daemon (`mailer-daemon@googlemail.com`, or renamed on the way); "Delivery to'
        ' the following recipient failed permanently", "Address not found", "Delivery incomplete"'
    )
    reference = "https://support.google.com/mail/answer/6596"
    screened = True
    needs = _MARKERS  # its first test of the text

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if not info.daemon:  # Google's own daemon, or one whose name was changed on the way
            return None
        body = body_text(msg)
        if not contains_any(body, _MARKERS):
            return None  # neither layout's opening (the text below is a prefix of the body)
        text = cut(body, *_ENDS)
        recipients: list[RecipientReport] = []
        if _OLD_FAILED in text or _OLD_FAILED_N in text or _OLD_DELAYED in text:
            action = "delayed" if _OLD_DELAYED in text else "failed"
            head, _, rest = text.partition("Technical details of")
            diag, host = _reply("Technical details of" + rest)
            addresses = [m.group(1) for m in ADDR_LINE_RE.finditer(head)]
            recipients = [report(a, action, diag, remote_mta=host) for a in addresses]
        else:
            for m in _NEW_RE.finditer(text):
                temporary = any(t in text for t in _TEMPORARY)
                diag, host = _reply(text[m.end() :])
                action = "delayed" if temporary else "failed"
                recipients.append(report(m.group(1), action, diag, remote_mta=host))
        if not recipients:
            return None
        failed = header(msg, "X-Failed-Recipients")
        extra = {"x_failed_recipients": failed} if failed else {}
        return Detection(kind="bounce", recipients=recipients, extra=extra)
