"""Auto-replies (RFC 3834 and the vendor habits before it): out-of-office, vacation,
"thanks for your message".  They are recorded but are never bounces."""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.model import RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.headers import decode_words, first_address, header, raw
from bouncewatch.parse.mime import bounce_subject, content_type, from_mail_system
from bouncewatch.parse.text import FoldedPattern

_SUBJECT_RE = FoldedPattern(
    r"out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"automated response|vacation|on leave|away from (?:the|my) (?:office|desk)|"
    r"abwesenheit|automatische antwort|nicht im büro|urlaub|"
    r"réponse automatique|reponse automatique|absence|absent du bureau|"
    r"respuesta automática|respuesta automatica|fuera de la oficina|ausente|"
    r"automatisch antwoord|afwezig|niet aanwezig|buiten kantoor|"
    r"risposta automatica|fuori sede|fuori ufficio|"
    r"resposta automática|ausência|fora do escritório|"
    r"autosvar|automatisk svar|frånvaro|poissa|automaattinen vastaus|"
    r"odpowiedź automatyczna|automatická odpověď|"
    r"自動応答|自動返信|不在|自动回复|自動回覆|자동 응답|автоответ|автоматический ответ",
)
_PRECEDENCE_LOW = frozenset({"bulk", "junk"})
_AUTO_FLAG_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation")


class AutoReply:
    """Out-of-office and other automatic replies; the replier's From is the recipient."""

    name = "autoreply"

    def detect(self, msg: Message) -> Detection | None:
        if content_type(msg) == "multipart/report" or from_mail_system(msg):
            return None
        if not self._is_auto_reply(msg):
            return None
        subject = header(msg, "Subject")
        if bounce_subject(msg) and not _starts_with_marker(subject or ""):
            return None  # e.g. "Undeliverable: …" sent with Auto-Submitted by a gateway
        address = first_address(msg, "From") or first_address(msg, "Reply-To")
        reports = [RecipientReport(address=address, diagnostic=subject)] if address else []
        return Detection(kind="auto_reply", recipients=reports)

    @staticmethod
    def _is_auto_reply(msg: Message) -> bool:
        auto = (raw(msg, "Auto-Submitted") or "").strip().lower()
        if auto and not auto.startswith("no"):
            return True
        for name in _AUTO_FLAG_HEADERS:
            value = raw(msg, name)
            if value is not None and value.strip().lower() not in ("no", "false", "0"):
                return True
        precedence = (raw(msg, "Precedence") or "").strip().lower()
        if precedence == "auto_reply":
            return True
        subject = decode_words(raw(msg, "Subject") or "") or ""
        if not _SUBJECT_RE.search(subject) or raw(msg, "List-Id") is not None:
            return False  # list mail talks about vacations too
        return (
            precedence in _PRECEDENCE_LOW
            or raw(msg, "X-MS-Exchange-Inbox-Rules-Loop") is not None
            or (raw(msg, "X-Auto-Response-Suppress") or "").strip().lower() == "all"
            or (
                raw(msg, "List-Id") is None
                and raw(msg, "List-Unsubscribe") is None
                and _starts_with_marker(subject)
            )
        )


_PREFIX_RE = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|out of office|abwesenheitsnotiz|"
    r"automatische antwort|réponse automatique|respuesta automática|automatisch antwoord|"
    r"risposta automatica|自動応答|自動返信|自动回复)",
    re.I,
)


def _starts_with_marker(subject: str) -> bool:
    return bool(_PREFIX_RE.match(subject))
