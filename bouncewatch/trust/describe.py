"""One plain sentence about a deployment's [trust] settings (check-config, status)."""

from __future__ import annotations

from bouncewatch.trust.settings import TrustConfig


def describe(trust: TrustConfig) -> tuple[str, bool]:
    """(sentence, authenticated): whether bounces must be authenticated to change state."""
    limits = f"at most {trust.max_recipients_per_message} unauthenticated addresses a message; " + (
        f"complaints only from {', '.join(trust.complaint_senders)} or authenticated"
        if trust.complaint_senders
        else "complaints only when authenticated"
    )
    if trust.require == "any":
        return (
            'trust: require = "any": WITHOUT AUTHENTICATION — anyone who can mail the bounce '
            "mailbox can change an address's state (" + limits + "; see docs/trust.md)",
            False,
        )
    what = (
        "a signed VERP return path"
        if trust.require == "signed"
        else "a signed VERP return path or a Message-ID recorded by `bouncewatch sent`"
    )
    secret = "" if trust.has_secret else " (no VERP secret configured)"
    return f'trust: require = "{trust.require}": a bounce needs {what}{secret}', True


__all__ = ["describe"]
