"""The trust commands and what other commands say about trust: `verp sign|verify`, `sent
--message-id|--file`, `parse --config`, `check-config`, `status`; the documented test vector."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bouncewatch.cli import main
from bouncewatch.config import ConfigError, load_config, read_verp_secrets
from bouncewatch.trust.signing import SigningError, sign, split, tag, verify

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "trust.md").read_text(encoding="utf-8")
SECRET = b"correct horse battery staple 2026"
DAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "verp-secret").write_text(
        "# the first line signs\ncorrect horse battery staple 2026\n\nan older secret, still verifying\n"
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f'database = "{tmp_path / "bw.db"}"\n'
        "[trust]\n"
        'require = "signed"\n'
        'verp_secret_file = "verp-secret"\n'
        'verp_domain = "bounces.example.com"\n'
    )
    return path


def test_the_documented_test_vector(config: Path) -> None:
    # the algorithm as docs/trust.md writes it, computed here without bouncewatch's code
    message = b"bouncewatch-verp-1:jane@example.org:20791"
    mac = hmac.new(SECRET, message, hashlib.sha256).digest()[:10]
    expected = base64.b32encode(mac).decode().lower()
    assert expected == "s7ezxrnglgzx5kar" and expected in DOC
    assert tag(SECRET, "Jane@Example.ORG", 20791) == expected
    path = sign("jane@example.org", [SECRET], DAY, prefix="bounces", domain="bounces.example.com")
    assert path == "bounces+jane=example.org+20791.s7ezxrnglgzx5kar@bounces.example.com"
    assert path in DOC


def test_secrets_file_first_line_signs_every_line_verifies(config: Path) -> None:
    secrets = read_verp_secrets(load_config(config).trust)
    assert secrets == (SECRET, b"an older secret, still verifying")


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("short\n")
    (tmp_path / "c.toml").write_text('[trust]\nverp_secret_file = "s"\n')
    with pytest.raises(ConfigError, match="at least 16 characters"):
        read_verp_secrets(load_config(tmp_path / "c.toml").trust)


def test_require_signed_needs_a_secret(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text('[trust]\nrequire = "signed"\n')
    with pytest.raises(ConfigError, match='"signed" needs verp_secret_file'):
        load_config(tmp_path / "c.toml")


@pytest.mark.parametrize(
    "address",
    ["a+b@example.org", "a=b@example.org", "o'brien@example.org", "x.y@sub.example.org"],
)
def test_sign_then_split_gives_the_address_back(address: str) -> None:
    path = sign(address, [SECRET], DAY, prefix="bounces", domain="s.example")
    assert split(path) is not None and split(path)[0] == address  # type: ignore[index]
    found = verify(path, [SECRET], DAY, timedelta(days=60))
    assert found is not None and found.valid and found.address == address


@pytest.mark.parametrize(
    "address", ['"john smith"@example.org', "no-at-sign", "a@b+c.example", "jäne@example.org"]
)
def test_addresses_a_return_path_cannot_carry_are_refused(address: str) -> None:
    with pytest.raises(SigningError):
        sign(address, [SECRET], DAY, prefix="bounces", domain="s.example")


@pytest.mark.parametrize(
    "value",
    [
        "bounces@example.com",
        "bounces+jane=example.org@example.com",
        "bounces+jane=example.org+20791.short@example.com",
        "bounces+jane=example.org+day.s7ezxrnglgzx5kar@example.com",
        "bounces+janeexample.org+20791.s7ezxrnglgzx5kar@example.com",
        "+" * 100_000 + "@x",
    ],
)
def test_other_shapes_are_not_signed_paths(value: str) -> None:
    assert split(value) is None


def test_verp_sign_and_verify_commands(runner: CliRunner, config: Path) -> None:
    out = runner.invoke(
        main,
        ["verp", "sign", "--config", str(config), "--at", "2026-12-04T10:00:00Z",
         "jane@example.org", "bob@example.net"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    jane, bob = out.output.split()
    assert jane == "bounces+jane=example.org+20791.s7ezxrnglgzx5kar@bounces.example.com"
    assert re.fullmatch(
        r"bounces\+bob=example\.net\+20791\.[a-z2-7]{16}@bounces\.example\.com", bob
    )
    ok = runner.invoke(
        main, ["verp", "verify", "--config", str(config), "--at", "2026-12-05", jane]
    )
    assert ok.exit_code == 0 and ok.output.strip() == "jane@example.org"
    forged = jane.replace("jane=", "ceo=")
    bad = runner.invoke(main, ["verp", "verify", "--config", str(config), "--json", forged])
    assert bad.exit_code == 1
    assert json.loads(bad.output) | {"at": None} == {
        "return_path": forged,
        "valid": False,
        "address": "ceo@example.org",
        "signed_day": 20791,
        "problem": "bad_tag",
        "at": None,
    }
    old = runner.invoke(
        main, ["verp", "verify", "--config", str(config), "--at", "2027-03-01", jane]
    )
    assert old.exit_code == 1 and "expired" in old.output


def test_verp_sign_without_a_secret_says_what_to_set(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("")
    out = runner.invoke(main, ["verp", "sign", "--config", str(tmp_path / "c.toml"), "a@b.example"])
    assert out.exit_code == 1 and "verp_secret_file" in out.output


def test_secrets_never_reach_check_config(runner: CliRunner, config: Path) -> None:
    out = runner.invoke(main, ["check-config", "--config", str(config)])
    # (the file has no [[mailbox]], which `run` needs: that is its only problem)
    assert "trust: PROBLEM" not in out.output and "nothing to watch" in out.output
    assert "correct horse" not in out.output and "older secret" not in out.output
    assert "2 VERP secret(s) readable" in out.output
    assert 'require = "signed": a bounce needs a signed VERP return path' in out.output


def test_check_config_and_status_say_plainly_when_nothing_is_authenticated(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "c.toml").write_text(f'database = "{tmp_path / "bw.db"}"\n')
    out = runner.invoke(main, ["check-config", "--config", str(tmp_path / "c.toml")])
    assert "WITHOUT AUTHENTICATION" in out.output
    runner.invoke(main, ["sent", "--config", str(tmp_path / "c.toml"), "--count", "1"])
    st = runner.invoke(main, ["status", "--config", str(tmp_path / "c.toml"), "x@example.org"])
    assert 'warning: trust: require = "any": WITHOUT AUTHENTICATION' in st.stderr


def test_sent_records_message_ids_from_options_and_files(
    runner: CliRunner, config: Path, tmp_path: Path
) -> None:
    out = runner.invoke(
        main,
        ["sent", "--config", str(config), "--message-id", "<a1@mail.example.com>",
         "--to", "Jane@Example.org", "--to", "bob@example.net"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    (tmp_path / "sent.jsonl").write_text(
        '{"message_id": "<b2@mail.example.com>", "to": "c@example.org", "source": "news"}\n'
        '{"message_id": "<a1@mail.example.com>", "to": ["d@example.org"]}\n'
    )
    (tmp_path / "sent.csv").write_text(
        "message_id,to,sent_at,source\n<c3@mail.example.com>,e@example.org;f@example.org,2026-12-01T10:00:00Z,\n"
    )
    out = runner.invoke(
        main,
        ["sent", "--config", str(config), "--file", str(tmp_path / "sent.jsonl"),
         "--file", str(tmp_path / "sent.csv")],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "3 message(s) recorded (2 new, 4 new recipients)" in out.output
    import sqlite3

    conn = sqlite3.connect(tmp_path / "bw.db")
    rows = conn.execute(
        "SELECT m.message_id, r.address, m.source FROM sent_messages m "
        "JOIN sent_recipients r USING (message_id) ORDER BY 1, 2"
    ).fetchall()
    conn.close()
    assert rows == [
        ("a1@mail.example.com", "bob@example.net", ""),
        ("a1@mail.example.com", "d@example.org", ""),
        ("a1@mail.example.com", "jane@example.org", ""),
        ("b2@mail.example.com", "c@example.org", "news"),
        ("c3@mail.example.com", "e@example.org", ""),
        ("c3@mail.example.com", "f@example.org", ""),
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('{"message_id": "<a@b>"}\nnot json\n', "sent.txt:2: not JSON"),
        ('{"to": "a@b.example"}\n', "sent.txt:1: message_id: missing"),
        ('{"message_id": "no at sign"}\n', "is not a Message-ID"),
        ('{"message_id": "<a@b>", "to": "nobody"}\n', "'nobody' is not an address"),
        ("to,source\na@b,x\n", "needs a header line with a message_id column"),
    ],
)
def test_a_bad_sent_file_records_nothing_and_names_the_line(
    runner: CliRunner, config: Path, tmp_path: Path, content: str, error: str
) -> None:
    (tmp_path / "sent.txt").write_text(content)
    out = runner.invoke(
        main, ["sent", "--config", str(config), "--file", str(tmp_path / "sent.txt")]
    )
    assert out.exit_code == 1 and error in out.output
    assert not (tmp_path / "bw.db").exists()


def test_parse_with_a_config_says_whether_each_recipient_is_authenticated(
    runner: CliRunner, config: Path, tmp_path: Path
) -> None:
    path = sign(
        "jane@example.org", [SECRET], datetime.now(UTC), prefix="bounces", domain="b.example"
    )
    report = (
        f"Delivered-To: {path}\nFrom: MAILER-DAEMON@mx.example.org\nTo: {path}\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nNot delivered.\n\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; jane@example.org\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    )
    (tmp_path / "b.eml").write_text(report)
    out = runner.invoke(main, ["parse", "--json", "--config", str(config), str(tmp_path / "b.eml")])
    assert out.exit_code == 0, out.output
    line = json.loads(out.output)
    assert line["signed_return_path"] == {
        "address": "jane@example.org",
        "valid": True,
        "problem": None,
    }
    assert [(r["address"], r["authenticated"]) for r in line["recipients"]] == [
        ("jane@example.org", True),
        ("bob@example.org", False),
    ]
    # without --config the line is what it always was
    plain = json.loads(runner.invoke(main, ["parse", "--json", str(tmp_path / "b.eml")]).output)
    assert "signed_return_path" not in plain and "authenticated" not in plain["recipients"][0]


def test_status_shows_an_untrusted_event_and_that_it_changed_nothing(
    runner: CliRunner, config: Path, tmp_path: Path
) -> None:
    from test_trust_attacks import SEVEN_LINE_TEXT

    (tmp_path / "forged.eml").write_bytes(SEVEN_LINE_TEXT)
    out = runner.invoke(main, ["ingest", "--config", str(config), str(tmp_path / "forged.eml")])
    assert out.exit_code == 0, out.output
    st = runner.invoke(main, ["status", "--config", str(config), "ceo@bigcustomer.example"])
    assert st.exit_code == 0, st.output
    assert "ceo@bigcustomer.example: active since" in st.output
    assert "(not trusted: not_authenticated; changed nothing)" in st.output
    exported = runner.invoke(main, ["export", "--config", str(config), "--format", "text"])
    assert exported.output == ""


def test_the_trust_contract_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/trust.md)" in readme
    for key in ("require", "verp_secret_file", "max_recipients_per_message", "complaint_senders"):
        assert f"`{key}`" in DOC, key
