"""Where a mailbox's secret lives, read only when it is needed (never held in Settings)."""

from __future__ import annotations

import os
from pathlib import Path

from bouncewatch.config.settings import MailboxConfig, TrustConfig
from bouncewatch.errors import ConfigError


def resolve_password(mailbox: MailboxConfig) -> str:
    """Read the mailbox password (or OAuth2 token) from where the configuration says it lives."""
    where = f"mailbox {mailbox.name!r}"
    if mailbox.auth == "xoauth2":
        assert mailbox.oauth2_token_file is not None
        return _read_secret_file(mailbox.oauth2_token_file, f"{where}: oauth2_token_file")
    if mailbox.password_file is not None:
        return _read_secret_file(mailbox.password_file, f"{where}: password_file")
    if mailbox.password_env is not None:
        value = os.environ.get(mailbox.password_env)
        if not value:
            raise ConfigError(
                f"{where}: password_env: variable {mailbox.password_env} is not set or empty"
            )
        return value
    if mailbox.password_credential is not None:
        cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
        if not cred_dir:
            raise ConfigError(
                f"{where}: password_credential: $CREDENTIALS_DIRECTORY is not set "
                "(use LoadCredential= in the systemd unit)"
            )
        return _read_secret_file(
            Path(cred_dir) / mailbox.password_credential, f"{where}: password_credential"
        )
    raise ConfigError(f"{where}: no password source configured")


def check_secret(mailbox: MailboxConfig) -> str:
    """What `check-config` says about the mailbox's secret; ConfigError when it can't be read.

    A systemd credential outside systemd ($CREDENTIALS_DIRECTORY unset) is not a problem: the
    service reads it at run time, where the unit's LoadCredential= provides it."""
    if (
        mailbox.auth == "password"
        and mailbox.password_credential is not None
        and not os.environ.get("CREDENTIALS_DIRECTORY")
    ):
        return (
            f"credential {mailbox.password_credential!r} will be read from "
            "$CREDENTIALS_DIRECTORY at run time (LoadCredential= in the unit)"
        )
    resolve_password(mailbox)
    return "secret readable (not shown)"


def read_verp_secrets(trust: TrustConfig) -> tuple[bytes, ...]:
    """The VERP secrets, one a line (blank lines and "#" comments skipped); () when none is
    configured.  The first signs, every one verifies (rotation)."""
    if trust.verp_secret_file is not None:
        path, what = trust.verp_secret_file, "trust.verp_secret_file"
    elif trust.verp_secret_credential is not None:
        cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
        if not cred_dir:
            raise ConfigError(
                "trust.verp_secret_credential: $CREDENTIALS_DIRECTORY is not set "
                "(use LoadCredential= in the systemd unit)"
            )
        path, what = Path(cred_dir) / trust.verp_secret_credential, "trust.verp_secret_credential"
    else:
        return ()
    text = _read_secret_file(path, what)
    secrets = tuple(
        line.strip().encode("utf-8")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    short = [i + 1 for i, s in enumerate(secrets) if len(s) < 16]
    if not secrets or short:
        raise ConfigError(
            f"{what}: {path}: each secret must be at least 16 characters"
            + (f" (line {short[0]} is shorter)" if short else "")
        )
    return secrets


def _read_secret_file(path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{what}: cannot read {path}: {e.strerror or e}") from None
    if not value:
        raise ConfigError(f"{what}: {path} is empty")
    return value


__all__ = ["check_secret", "read_verp_secrets", "resolve_password"]
