"""Trust against a real Dovecot: bounces that [trust] refuses change nothing and their
messages go to the untrusted folder (never deleted); authenticated ones are processed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ImapAccount, db_count, run_once
from test_trust_attacks import (
    HAND_WRITTEN_DSN,
    MINIMAL_ARF,
    SECRET,
    SEVEN_LINE_TEXT,
    UNSIGNED_VERP,
    many_recipients,
    signed_bounce,
)

from bouncewatch.trust.signing import sign

pytestmark = pytest.mark.imap

FORGED = [HAND_WRITTEN_DSN, MINIMAL_ARF, SEVEN_LINE_TEXT, UNSIGNED_VERP]


def config(account: ImapAccount, db: Path, trust: str, after: str = "delete") -> Path:
    path = account.config_toml(db, mailbox={"after": after})
    secret = account.workdir / "verp-secret"
    secret.write_bytes(SECRET + b"\n")
    with path.open("a") as f:
        f.write(f'\n[trust]\n{trust}\nverp_secret_file = "{secret}"\n')
    return path


def signed(address: str) -> bytes:
    path = sign(address, [SECRET], datetime.now(UTC), prefix="bounces", domain="s.example")
    return signed_bounce(path, (address,))


def test_with_require_signed_forgeries_go_to_the_untrusted_folder(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    db = tmp_path / "bw.db"
    imap_account.append([*FORGED, signed("real@customer.example")])
    cfg = config(imap_account, db, 'require = "signed"', after="delete")
    proc = run_once(cfg)
    assert proc.returncode == 0, proc.stderr
    # the authenticated bounce was processed (after = "delete"); the forgeries were kept
    assert imap_account.count("INBOX") == 0
    assert imap_account.count("Untrusted") == len(FORGED)
    assert sorted(imap_account.bodies("Untrusted")) == sorted(
        m.replace(b"\n", b"\r\n") for m in FORGED
    )
    assert db_count(db, "SELECT count(*) FROM addresses") == 1
    assert db_count(db, "SELECT count(*) FROM addresses WHERE state = 'invalid'") == 1
    assert db_count(db, "SELECT count(*) FROM events WHERE trusted = 0") == len(FORGED)
    assert "untrusted=4" in proc.stderr and "message_untrusted" in proc.stderr
    assert SECRET.decode() not in proc.stderr

    # delivered again (a crash before the move, a restored folder): still kept apart
    imap_account.append(FORGED)
    assert run_once(cfg).returncode == 0
    assert imap_account.count("Untrusted") == 2 * len(FORGED)
    assert db_count(db, "SELECT count(*) FROM state_changes") == 1


def test_with_require_any_a_message_over_the_limit_is_kept_for_a_person(
    imap_account: ImapAccount, tmp_path: Path
) -> None:
    db = tmp_path / "bw.db"
    imap_account.append([many_recipients(150), SEVEN_LINE_TEXT])
    proc = run_once(config(imap_account, db, 'require = "any"', after="move"))
    assert proc.returncode == 0, proc.stderr
    assert imap_account.count("Untrusted") == 1 and imap_account.count("Processed") == 1
    assert db_count(db, "SELECT count(*) FROM state_changes") == 101
    assert db_count(db, "SELECT count(*) FROM events WHERE trust = 'over_recipient_limit'") == 50
