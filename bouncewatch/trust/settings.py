"""The [trust] settings (read by bouncewatch.config, like the policy's own settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

TRUST_REQUIRE = ("any", "known", "signed")


@dataclass(frozen=True, slots=True)
class TrustConfig:
    """What a bounce needs before it may change an address's state (docs/trust.md)."""

    require: str = "any"  #: any | known | signed
    verp_secret_file: Path | None = None  #: one secret a line; the first signs, any verifies
    verp_secret_credential: str | None = None  #: name in $CREDENTIALS_DIRECTORY (systemd)
    verp_prefix: str = "bounces"  #: local part before the first "+" of a signed return path
    verp_domain: str | None = None  #: the domain `verp sign` puts after the "@"
    verp_max_age: timedelta = timedelta(days=60)  #: how long a signed return path verifies
    max_recipients_per_message: int = 100  #: unauthenticated addresses one message may change
    complaint_senders: tuple[str, ...] = ()  #: feedback-loop senders (domains or addresses)

    @property
    def has_secret(self) -> bool:
        return self.verp_secret_file is not None or self.verp_secret_credential is not None


__all__ = ["TRUST_REQUIRE", "TrustConfig"]
