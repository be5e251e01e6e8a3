"""Amazon SES notifications delivered by email through Amazon SNS ("AWS Notification
Message").  The body is the SES notification JSON (SNS "email" protocol) or the SNS envelope
around it (SNS "email-json": {"Type": "Notification", "Message": "<the JSON, as a string>"}).

    {"notificationType": "Bounce",
     "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "…", "action": "failed",
                                       "status": "5.1.1", "diagnosticCode": "smtp; 550 …"}],
                "reportingMTA": "dsn; a8-12.smtp-out.amazonses.com", …},
     "mail": {"messageId": "…", "commonHeaders": {"messageId": "<…>"}, …}}

Configuration-set event publishing writes "eventType" instead of "notificationType".
Complaints ("complainedRecipients") come out as kind "complaint" with no action.
"""

from __future__ import annotations

import json
from email.message import Message
from typing import Any

from bouncewatch.model import ACTIONS, RecipientReport
from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    body_text,
    bounce,
    iso_timestamp,
    message_info,
    report,
)
from bouncewatch.smtp.status import extract_status

_SNS_SENDERS = ("no-reply@sns.amazonaws.com",)
_SUBJECTS = ("aws notification message",)


def _payload(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        # a notification re-wrapped on the way: long lines broken with a newline and a space
        # (header-style folding), even inside the JSON strings
        try:
            data, _ = json.JSONDecoder().raw_decode(text[start:].replace("\n ", ""))
        except ValueError:
            return None
    if isinstance(data, dict) and data.get("Type") == "Notification":
        try:
            data = json.loads(data.get("Message") or "")
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


def _mta(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value.split(";", 1)[-1].strip().lower() or None


#: SES event type -> the key of its details in the notification
_EVENT_KEYS = {"Bounce": "bounce", "Delivery": "delivery", "DeliveryDelay": "deliveryDelay"}


def _delivered(event: dict[str, Any]) -> list[RecipientReport]:
    reply = event.get("smtpResponse")
    return [
        report(r, "delivered", reply if isinstance(reply, str) else None)
        for r in event.get("recipients") or []
        if isinstance(r, str) and r.strip()
    ]


def _delayed(event: dict[str, Any]) -> list[RecipientReport]:
    return [
        report(
            r["emailAddress"],
            "delayed",
            str(r.get("diagnosticCode") or "").removeprefix("smtp;") or None,
            status=extract_status(r["status"]) if isinstance(r.get("status"), str) else None,
        )
        for r in event.get("delayedRecipients") or []
        if isinstance(r, dict) and isinstance(r.get("emailAddress"), str)
    ]


def _bounce(event: dict[str, Any]) -> list[RecipientReport]:
    out = []
    remote = event.get("remoteMtaIp")
    for r in event.get("bouncedRecipients") or []:
        if not isinstance(r, dict) or not isinstance(r.get("emailAddress"), str):
            continue
        status = r.get("status")
        action = r.get("action")
        diag = r.get("diagnosticCode")
        if isinstance(diag, str) and diag.lower().startswith("smtp;"):
            diag = diag[5:]
        out.append(
            report(
                r["emailAddress"],
                action if action in ACTIONS else "failed",  # RFC 3464's, else failed
                diag if isinstance(diag, str) else None,
                status=extract_status(status) if isinstance(status, str) else None,
                remote_mta=remote if isinstance(remote, str) else None,
            )
        )
    return out


class SesDetector:
    """Amazon SES bounce and complaint notifications (SNS email / email-json)."""

    name = "ses"
    title = (
        "Amazon SES notifications via SNS (bounce, complaint, delivery, delay; `email`,"
        " `email-json`, event publishing)"
    )
    description = 'From `no-reply@sns.amazonaws.com` or Subject "AWS Notification Message"; JSON body with `notificationType`/`eventType`'
    reference = "https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html"
    screened = False

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        if info.sender not in _SNS_SENDERS and info.subject not in _SUBJECTS:
            return None
        data = _payload(body_text(msg))
        if data is None:
            return None
        ntype = data.get("notificationType") or data.get("eventType")
        given, mail = data.get("mail"), {}
        if isinstance(given, dict):
            mail = given
        given, common = mail.get("commonHeaders"), {}
        if isinstance(given, dict):
            common = given
        extra: dict[str, Any] = {"ses_message_id": mail.get("messageId")}
        if common.get("messageId"):
            extra["original_message_id"] = common["messageId"]
        headers = [h for h in mail.get("headers") or [] if isinstance(h, dict)]
        if headers:  # the sent message's headers, for list-source lookups
            extra["original_headers"] = {
                str(h.get("name")): str(h.get("value")) for h in headers if h.get("name")
            }
        event = data.get(_EVENT_KEYS.get(str(ntype), ""))
        if ntype in _EVENT_KEYS and isinstance(event, dict):
            if ntype == "Bounce":
                extra["bounce_type"] = event.get("bounceType")
                extra["bounce_sub_type"] = event.get("bounceSubType")
                recipients = _bounce(event)
            elif ntype == "Delivery":
                recipients = _delivered(event)
            else:
                extra["delay_type"] = event.get("delayType")
                recipients = _delayed(event)
            return bounce(
                recipients,
                reporting_mta=_mta(event.get("reportingMTA")),
                arrival_date=iso_timestamp(event.get("timestamp")),
                extra=extra,
            )
        if ntype == "Complaint" and isinstance(data.get("complaint"), dict):
            event = data["complaint"]
            recipients = [
                RecipientReport(address=r["emailAddress"].strip())
                for r in event.get("complainedRecipients") or []
                if isinstance(r, dict) and r.get("emailAddress")
            ]
            if not recipients:
                return None
            extra["user_agent"] = event.get("userAgent")
            return Detection(
                kind="complaint",
                recipients=recipients,
                arrival_date=iso_timestamp(event.get("arrivalDate") or event.get("timestamp")),
                feedback_type=event.get("complaintFeedbackType"),
                extra=extra,
            )
        return None
