"""The cases sent through a real MTA to the scripted sink, and the truth about each bounce.

Each case is one original message (usually one recipient). The sink's reply for the recipient's
local part (see ``smtp_sink.REPLIES``) or the routing of its domain (see ``dns_stub`` and the
MTA configuration) decides what happens; the expectation here is what a correct parser and
classifier must report for the bounce the MTA generates.

``final`` is the expectation for the failure (or success) notice; ``delayed`` for a delay
warning of the same case (temporary failures only). Values depending on the MTA's own wording
(status of a routing failure, for instance) are overridden per MTA in ``MTA_OVERRIDES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAMPAIGN = "spring-sale"
SENDER = "newsletter@example.net"


@dataclass(frozen=True)
class Expect:
    """Expected per-recipient result (JSON fixture fields)."""

    status: str | None
    smtp_code: int | None
    bounce_type: str
    reason: str
    diagnostic_contains: str | None = None
    action: str = "failed"
    remote_mta: str | None = None

    def as_json(self, address: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": address,
            "action": self.action,
            "status": self.status,
            "smtp_code": self.smtp_code,
            "bounce_type": self.bounce_type,
            "reason": self.reason,
        }
        if self.remote_mta:
            out["remote_mta"] = self.remote_mta
        if self.diagnostic_contains:
            out["diagnostic_contains"] = self.diagnostic_contains
        return out


@dataclass(frozen=True)
class Case:
    name: str
    recipients: tuple[str, ...]
    final: tuple[Expect, ...]  # one per recipient, in order
    notify: str = "failure,delay"
    temporary: bool = False  # expect a delay warning first, then an expiry bounce
    delayed: tuple[Expect, ...] = field(default_factory=tuple)


ORG = "mx.example.org"
COM = "mx.example.com"


def _perm(local: str, domain: str, mta: str, status: str, code: int, btype: str, reason: str,
          snippet: str) -> Case:  # fmt: skip
    return Case(
        local,
        (f"{local}@{domain}",),
        (Expect(status, code, btype, reason, snippet, remote_mta=mta),),
    )


def _temp(local: str, domain: str, mta: str | None, status: str, code: int | None,
          snippet: str) -> Case:  # fmt: skip
    return Case(
        local,
        (f"{local}@{domain}",),
        (Expect(status, code, "soft", "expired", snippet, remote_mta=mta),),
        temporary=True,
        delayed=(Expect(status, code, "none", "delayed", snippet, "delayed", mta),),
    )


CASES: tuple[Case, ...] = (
    _perm("unknown", "example.org", ORG, "5.1.1", 550, "hard", "user_unknown", "User unknown"),
    _perm("nouser", "example.com", COM, "5.1.1", 550, "hard", "user_unknown", "does not exist"),
    _perm("disabled", "example.com", COM, "5.2.1", 550, "hard", "mailbox_disabled", "is disabled"),
    _perm("full", "example.org", ORG, "5.2.2", 552, "soft", "mailbox_full", "Mailbox full"),
    _perm("fullperm", "example.org", ORG, "5.2.2", 550, "soft", "mailbox_full", "mailbox full"),
    _perm("big", "example.org", ORG, "5.3.4", 552, "soft", "message_too_large", "size exceeds"),
    _perm("spamhaus", "example.org", ORG, "5.7.1", 554, "block", "blocked", "zen.spamhaus.org"),
    _perm("spam", "example.org", ORG, "5.7.1", 550, "block", "spam_content", "rejected as spam"),
    _perm("dmarc", "example.com", COM, "5.7.26", 550, "block", "auth_failure", "DMARC policy"),
    _perm("spf", "example.com", COM, "5.7.23", 550, "block", "auth_failure", "Sender Policy"),
    _perm("relay", "example.org", ORG, "5.7.1", 554, "block", "relay_denied", "Relay access"),
    _perm("greyperm", "example.org", ORG, "5.7.1", 550, "soft", "greylisted", "Greylisted"),
    _perm("virus", "example.org", ORG, "5.7.1", 554, "block", "virus", "virus found"),
    _perm("moved", "example.org", ORG, "5.1.6", 551, "hard", "has_moved", "User has moved"),
    _perm("policy", "example.org", ORG, "5.7.1", 550, "block", "policy", "local policy"),
    _perm("badsyntax", "example.org", ORG, "5.1.3", 553, "hard", "address_invalid", "syntax"),
    _perm("sysfail", "example.org", ORG, "5.3.0", 554, "soft", "system_error", "system error"),
    _perm("notaccept", "example.org", ORG, "5.1.10", 556, "hard", "not_accept", "not accept"),
    Case(
        "nxdomain",
        ("someone@nxdomain.example.com",),
        (Expect("5.4.4", None, "hard", "domain_not_found", "not found"),),
    ),
    Case(
        "deadmx",
        ("someone@deadmx.example.com",),
        (Expect("5.4.4", None, "hard", "domain_not_found", "not found"),),
    ),
    Case(
        "nullmx",
        ("someone@nullmx.example.com",),
        (Expect("5.1.10", None, "hard", "not_accept", "does not accept mail"),),
    ),
    Case(
        "multi",
        ("unknown@example.org", "disabled@example.com", "ok@example.org"),
        (
            Expect("5.1.1", 550, "hard", "user_unknown", "User unknown", remote_mta=ORG),
            Expect("5.2.1", 550, "hard", "mailbox_disabled", "is disabled", remote_mta=COM),
        ),
    ),
    Case(
        "ok",
        ("ok@example.org",),
        (Expect("2.0.0", 250, "none", "delivered", None, "relayed", ORG),),
        notify="success,failure",
    ),
    Case(
        "local",
        ("newsletter+archive@example.net",),
        (Expect("2.0.0", None, "none", "delivered", None, "delivered"),),
        notify="success,failure",
    ),
    _temp("grey", "example.org", ORG, "4.2.0", 450, "Greylisted"),
    _temp("ratelimit", "example.org", ORG, "4.7.1", 451, "slow down"),
    _temp("overquota", "example.com", COM, "4.2.2", 452, "over quota"),
    _temp("unsolicited", "example.com", COM, "4.7.28", 421, "unusual rate"),
    _temp("refused", "refused.example.com", None, "4.4.1", None, "refused"),
    _temp("slow", "slow.example.com", None, "4.4.2", None, "timed out"),
)

# Per-MTA corrections: (case name, "final"|"delayed", recipient index) -> fields to replace.
MTA_OVERRIDES: dict[str, dict[tuple[str, str, int], dict[str, Any]]] = {
    # Postfix 3.7 reports a null MX as 5.1.0 (RFC 7505 suggests 5.1.10).
    "postfix": {("nullmx", "final", 0): {"status": "5.1.0"}},
    # Exim 4.96 puts Status: 5.0.0 / 4.0.0 in every DSN; the remote's own code is in the
    # Diagnostic-Code (and wins); its own routing errors are only in the human-readable part.
    "exim": {
        ("nxdomain", "final", 0): {"status": "5.0.0", "diagnostic_contains": "Unrouteable"},
        ("deadmx", "final", 0): {"status": "5.0.0", "diagnostic_contains": "non-existent hosts"},
        ("nullmx", "final", 0): {"status": "5.0.0", "diagnostic_contains": "no SMTP service"},
        ("ok", "final", 0): {"action": "delivered"},
        ("slow", "delayed", 0): {
            "status": "4.0.0",
            "diagnostic_contains": None,
            "remote_mta": "slow.example.com",
        },
        ("refused", "delayed", 0): {"status": "4.0.0", "diagnostic_contains": None},
        # Queue lifetime exceeded: "<last reply>: retry timeout exceeded", Status: 5.0.0.
        **{
            (name, "final", 0): {"status": "5.0.0", "diagnostic_contains": "retry timeout exceeded"}
            for name in ("grey", "ratelimit", "overquota", "unsolicited", "refused")
        },
        ("slow", "final", 0): {
            "status": "5.0.0",
            "diagnostic_contains": "retry timeout exceeded",
            "remote_mta": "slow.example.com",
        },
    },
    # Sendmail 8.17: its own routing errors get 5.1.2 / 5.1.10, expiry is Status: 4.4.7 with the
    # last reply kept, success notices say "relayed (to non-DSN-aware mailer)" with 2.1.5. A 421
    # that closes the connection leaves "Diagnostic-Code: SMTP; " empty (the reply is only in
    # the transcript).
    "sendmail": {
        ("nxdomain", "final", 0): {
            "status": "5.1.2",
            "smtp_code": 550,
            "remote_mta": "nxdomain.example.com",
            "diagnostic_contains": "Host unknown",
        },
        ("deadmx", "final", 0): {
            "status": "5.1.2",
            "remote_mta": "mx2.gone.example.com",
            "diagnostic_contains": None,
        },
        ("nullmx", "final", 0): {"smtp_code": 556, "remote_mta": "nullmx.example.com"},
        ("ok", "final", 0): {"status": "2.1.5"},
        ("local", "final", 0): {"status": "2.1.5"},
        ("slow", "delayed", 0): {"diagnostic_contains": None},
        ("refused", "delayed", 0): {
            "diagnostic_contains": None,
            "remote_mta": "refused.example.com",
        },
        ("unsolicited", "delayed", 0): {"diagnostic_contains": None},
        **{(name, "final", 0): {"status": "4.4.7"} for name in ("grey", "ratelimit", "overquota")},
        ("unsolicited", "final", 0): {"status": "4.4.7", "diagnostic_contains": None},
        ("slow", "final", 0): {"status": "4.4.7", "diagnostic_contains": None},
        ("refused", "final", 0): {
            "status": "4.4.7",
            "diagnostic_contains": None,
            "remote_mta": "refused.example.com",
        },
    },
    # OpenSMTPD 6.8: multipart/mixed notices with a message/delivery-status part whose Status is
    # always 5.0.0 / 4.0.0 / 2.0.0 (the remote's reply is only in the text part), one notice per
    # recipient, DNS failures (even a null MX) are temporary, and an expired envelope is reported
    # as "Action: delayed" / "Status: 4.4.7" / "Envelope expired" (the message is dropped).
    "opensmtpd": {
        ("nxdomain", "final", 0): {"status": "5.0.0", "diagnostic_contains": "does not exist"},
        **{
            (name, "delayed", 0): {"status": "4.0.0", "diagnostic_contains": "No MX found"}
            for name in ("deadmx", "nullmx")
        },
        **{
            (name, "final", 0): {
                "status": "4.4.7",
                "smtp_code": None,
                "action": "delayed",
                "bounce_type": "soft",
                "reason": "expired",
                "diagnostic_contains": "Envelope expired",
            }
            for name in ("deadmx", "nullmx", "grey", "ratelimit", "overquota", "unsolicited")
        },
        ("ok", "final", 0): {"smtp_code": None},
    },
    # Courier 1.0.16: Status 5.0.0 / 4.0.0 everywhere (the remote's code is in the
    # Diagnostic-Code), "Remote-MTA: dns; host [ip]", routing errors "unknown; No such domain."
    # (a null MX too), delay warnings carry no diagnostic, an unreachable host ends as
    # "unknown; Network is down", and "+" is no address-extension separator (Courier uses "-").
    # Remote-MTA "dns; mx.example.org [127.0.0.1]": the expected remote_mta is the host name.
    "courier": {
        **{
            (name, "final", 0): {
                "status": "5.0.0",
                "reason": "domain_not_found",
                "diagnostic_contains": "No such domain",
            }
            for name in ("nxdomain", "deadmx", "nullmx")
        },
        ("local", "final", 0): {
            "action": "failed",
            "status": "5.0.0",
            "smtp_code": 550,
            "bounce_type": "hard",
            "reason": "user_unknown",
            "diagnostic_contains": "unknown",
        },
        # Delay warnings: Status 4.0.0, no Diagnostic-Code; the last reply is only in the
        # human-readable transcript (">>> RCPT TO:<…>" / "<<< 450 4.2.0 …").
        **{
            (name, "delayed", 0): {"remote_mta": None}
            for name in ("grey", "ratelimit", "overquota", "unsolicited")
        },
        **{
            (name, "delayed", 0): {
                "status": "4.0.0",
                "smtp_code": None,
                "diagnostic_contains": None,
            }
            for name in ("refused", "slow")
        },
        **{
            (name, "final", 0): {"status": "5.0.0"}
            for name in ("grey", "ratelimit", "overquota", "unsolicited")
        },
        **{
            (name, "final", 0): {"status": "5.0.0", "diagnostic_contains": "Network is down"}
            for name in ("refused", "slow")
        },
    },
    # nullmailer 2.2: the smarthost's reply verbatim with its own status; a temporary failure
    # past queuelifetime is returned with "Action: delayed" and the last 4xx status.
    "nullmailer": {
        (name, "final", 0): {"action": "delayed"}
        for name in ("grey", "ratelimit", "overquota", "unsolicited")
    },
    # dma 0.13 sends everything through its smarthost (mx.example.org here): that is the
    # remote host of every failure.
    "dma": {
        **{
            (name, "final", 0): {"remote_mta": ORG}
            for name in ("nouser", "disabled", "dmarc", "spf")
        },
        ("multi", "final", 1): {"remote_mta": ORG},
    },
}


# MTAs whose notices name no receiving host: OpenSMTPD has no Remote-MTA field, nullmailer
# names only its smarthost ("dns; 127.0.0.1" here).
NO_REMOTE_MTA = {"opensmtpd", "nullmailer"}


def expectation(mta: str, case: Case, which: str) -> list[Expect]:
    """The expectations for one notice of ``case`` as sent by ``mta``."""
    if which == "final":
        base = list(case.final)
    elif case.delayed:
        base = list(case.delayed)
    else:  # an MTA that treats this case as temporary: a warning first
        base = [
            Expect(
                e.status,
                e.smtp_code,
                "none",
                "delayed",
                e.diagnostic_contains,
                "delayed",
                e.remote_mta,
            )
            for e in case.final
        ]
    if mta in NO_REMOTE_MTA:
        base = [Expect(**{**e.__dict__, "remote_mta": None}) for e in base]
    for (name, kind, index), changes in MTA_OVERRIDES.get(mta, {}).items():
        if name == case.name and kind == which and index < len(base):
            fields = {**base[index].__dict__, **changes}
            base[index] = Expect(**fields)
    return base


def failed_recipients(case: Case) -> tuple[str, ...]:
    """The recipients a failure/success notice of ``case`` reports on, in order."""
    return case.recipients[: len(case.final)]
