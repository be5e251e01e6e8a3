"""The RFC 3464 decoder's shortcuts give what the general path gives: the texts of a message
decoded once for the decoder and the output's commands, the commands asked once, and only the
texts naming the address searched for a command's wording, a recipient's absent fields not
handed to their cleaners, a report-type read without the stdlib's parameter parser where it
cannot be there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
from fixture_files import all_emls
from hypothesis import given, settings
from hypothesis import strategies as st

import bouncewatch
from bouncewatch.model import ACTIONS, DEFAULT_PARSE_OPTIONS, DecodedMessage, RecipientReport
from bouncewatch.parse import api, dsn_recovery, rfc3464
from bouncewatch.parse.api import decode_message
from bouncewatch.parse.bodytext import human_texts
from bouncewatch.parse.dsn_fields import (
    _BLANK_LINE_RE,
    _FIELD_BLOCK_RE,
    _UNFOLDED_REPLY_RE,
    clean_address,
    clean_host,
    mailbox_address,
    strip_type,
    text_blocks,
)
from bouncewatch.parse.headers import iso_date
from bouncewatch.parse.lean import read_message
from bouncewatch.smtp.command import command_near, smtp_command
from bouncewatch.smtp.reply import extract_reply_code
from bouncewatch.smtp.status import extract_status, is_generic_status
from bouncewatch.smtp.text import FoldedPattern

OPTIONS = replace(DEFAULT_PARSE_OPTIONS, said_commands=True)
DSN = b"""From: MAILER-DAEMON@mx.example.net
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

<gone@example.org>: host mx.example.org said: 550 no such user here (in reply to
    RCPT TO command)

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.0.0

--b--
"""


def _fresh(msg: object) -> dsn_recovery._Lazy:
    """The texts decoded anew at every call: the path without the per-message cache."""
    return dsn_recovery._Lazy(human_texts(msg))  # type: ignore[arg-type]


def _uncached(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The texts decoded and the commands asked anew at every call; the list counts the
    calls of the replacements (a replaced function nobody calls would prove nothing)."""
    calls = [0]

    def fresh(msg: object) -> dsn_recovery._Lazy:
        calls[0] += 1
        return _fresh(msg)

    for module in (api, dsn_recovery):
        monkeypatch.setattr(module, "texts_of", fresh)
    real = dsn_recovery.command_said

    def asked_anew(r: object, texts: dsn_recovery._Lazy) -> str | None:
        texts.commands.clear()
        return real(r, texts)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "command_said", asked_anew)
    monkeypatch.setattr(dsn_recovery, "command_said", asked_anew)
    return calls


def _datas() -> list[bytes]:
    return [p.read_bytes() for p in all_emls()] + [DSN]


def _decoded_uncached() -> list[DecodedMessage]:
    """Every fixture decoded without the caches: in pure Python only, where a module calls
    the functions it names through its globals."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        calls = _uncached(monkeypatch)
        out = [decode_message(d, OPTIONS) for d in _datas()]
    assert calls[0] > 0
    return out


#: the uncached decoding by the source tree, in a process of its own (for the compiled build)
_FROM_SOURCE = """
import bouncewatch, test_parse_dsn_paths
assert not bouncewatch.COMPILED, bouncewatch.__file__
print("\\n".join(repr(d) for d in test_parse_dsn_paths._decoded_uncached()))
"""


def test_every_fixture_decodes_the_same_without_the_caches() -> None:
    cached = [decode_message(d, OPTIONS) for d in _datas()]
    if bouncewatch.COMPILED:
        # compiled modules call each other directly, past any replaced function: the
        # uncached decoding is the source's, run in pure Python in a process of its own
        tests = Path(__file__).resolve().parent
        proc = subprocess.run(
            [sys.executable, "-c", _FROM_SOURCE],
            env={**os.environ, "PYTHONPATH": f"{tests.parent}{os.pathsep}{tests}"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr
        assert [repr(d) for d in cached] == proc.stdout.splitlines()
    else:
        assert cached == _decoded_uncached()
    # the shortcut is taken: the commands came from the text, through the cache
    assert cached[-1].said_commands == ("RCPT",)


def test_texts_are_kept_for_the_same_message_only() -> None:
    one, other = read_message(DSN), read_message(DSN)
    texts = dsn_recovery.texts_of(one)
    assert dsn_recovery.texts_of(one) is texts
    assert dsn_recovery.texts_of(other) is not texts
    assert dsn_recovery.texts_of(one) is not texts  # only the last message is kept


def test_an_error_of_the_texts_is_raised_again_on_every_pass() -> None:
    def failing() -> Iterator[str]:
        yield "first"
        raise LookupError("unknown encoding: x-broken")

    texts = dsn_recovery._Lazy(failing())
    for _ in range(3):
        seen = []
        with pytest.raises(LookupError, match="x-broken"):
            for text in texts:
                seen.append(text)
        assert seen == ["first"]


_HINTS = FoldedPattern(r"reply|after|connected|>>>")


def _command_said_reference(r: RecipientReport, texts: list[str]) -> str | None:
    """`command_said` as first written: every text with a command's wording is read."""
    command = smtp_command(r.diagnostic)
    if command is None:
        for text in texts:
            if _HINTS.search(text) is None:
                continue
            command = command_near(text, r.address.lower())
            if command is not None:
                break
    return command


_PIECES = st.sampled_from(
    [
        "jo@example.org",
        "JO@Example.ORG",
        "jö@example.org",
        "other@example.net",
        " (in reply to RCPT TO command)",
        "In Reply To end of data",
        " after MAIL FROM:<a@b>",
        "AFTER data",
        "Connected to 192.0.2.1 but sender was rejected.",
        "192.0.2.1 does not like recipient.",
        ">>> RCPT To:<jo@example.org>\n<<< 550 5.1.1 unknown\n",
        ">>> DATA\n<<< 554 refused\n",
        "550 5.1.1 unknown user",
        "\n",
        "\n\n",
        " ",
        "İ",
        "ſ",
        "Ω",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(
    address=st.sampled_from(["jo@example.org", "JO@example.org", "jö@example.org"]),
    diagnostic=st.sampled_from([None, "550 5.1.1 unknown", "550 unknown (in reply to DATA)"]),
    texts=st.lists(st.lists(_PIECES, max_size=8).map("".join), max_size=3),
)
def test_command_said_is_the_same_as_reading_every_text(
    address: str, diagnostic: str | None, texts: list[str]
) -> None:
    r = RecipientReport(address=address, action="failed", diagnostic=diagnostic)
    got = dsn_recovery.command_said(r, dsn_recovery._Lazy(iter(texts)))
    assert got == _command_said_reference(r, [t for t in texts if t])


def _recipient_reference(group: dict[str, str], failed: list[str]) -> RecipientReport | None:
    """`rfc3464._recipient` as first written, every field through its cleaner."""
    original = clean_address(group.get("original-recipient"), xtext=True)
    final = clean_address(group.get("final-recipient"))
    if final and original and "@" in original and final[:5].upper() == "IMCEA":
        final = None
    mailbox = mailbox_address(final)
    if final and mailbox != final:
        final = (
            mailbox_address(original)
            or mailbox
            or (failed[0] if failed and len(failed) == 1 else None)
        )
        if final is None:
            return None
    address = final or original or clean_address(group.get("x-actual-recipient"))
    if not address or ("@" not in address and " " in address):
        return None
    diagnostic = strip_type(group.get("diagnostic-code"))
    status = extract_status(group.get("status"))
    if not diagnostic and status:
        m = rfc3464._STATUS_COMMENT_RE.search(group.get("status") or "")
        diagnostic = " ".join(m.group(1).split()) if m else None
    diag_status = extract_status(diagnostic)
    if diag_status and (
        status is None
        or (is_generic_status(status) and diag_status[0] == status[0])
        or rfc3464._truncated(status, diag_status)
    ):
        status = diag_status
    action = (group.get("action") or "").strip().lower().split(" ")[0].rstrip(";") or None
    action = rfc3464._ACTION_ALIASES.get(action, action) if action else None
    if action not in ACTIONS:
        action = (
            {"5": "failed", "4": "delayed", "2": "delivered"}.get(status[0]) if status else None
        )
    return RecipientReport(
        address=address,
        action=action,
        status=status,
        smtp_code=extract_reply_code(diagnostic),
        diagnostic=diagnostic,
        remote_mta=clean_host(group.get("remote-mta")),
        original_recipient=original if original and original != address else None,
        last_attempt_date=iso_date(group.get("last-attempt-date")),
        will_retry_until=iso_date(group.get("will-retry-until")),
    )


_ADDRESSES = st.sampled_from(
    [
        "rfc822; jo@example.org",
        "rfc822;JO@Example.org",
        "<jo@example.org>",
        "rfc822; jo+2Bx@example.org",
        "rfc822; @relay.example.net:jo@example.org",
        "rfc822; @relay.example.net",
        "x-unix; /var/spool/mail/jo",
        "rfc822; |/usr/bin/procmail",
        "rfc822; jo",
        "rfc822; John Smith",
        "rfc822; IMCEAEX-_O=ORG_CN=JO@example.org",
        "",
        " ",
        "=?utf-8?q?j=C3=B6@example.org?=",
    ]
)
_FIELDS = {
    "original-recipient": _ADDRESSES,
    "final-recipient": _ADDRESSES,
    "x-actual-recipient": _ADDRESSES,
    "action": st.sampled_from(
        ["failed", "Failed", "delayed", "failure", "delay", "expanded", "failed; x", "", "bogus"]
    ),
    "status": st.sampled_from(["5.0.0", "5.1.1", "4.4.7", "5.7.2", "2.0.0", "5.1.10 (gone)", ""]),
    "diagnostic-code": st.sampled_from(
        ["smtp; 550 5.1.1 unknown", "smtp; 550-5.7.23 x", "X-Postfix; gone", "smtp;", ""]
    ),
    "remote-mta": st.sampled_from(["dns; mx.example.org", "dns; [192.0.2.1]", ""]),
    "last-attempt-date": st.sampled_from(["Tue, 14 May 2024 09:58:15 +0900", "garbage", ""]),
    "will-retry-until": st.sampled_from(["14 May 2024 09:58 GMT", ""]),
}


@settings(max_examples=2000, deadline=None)
@given(
    group=st.fixed_dictionaries({}, optional=_FIELDS),
    failed=st.sampled_from([[], ["jo@example.org"], ["a@example.org", "b@example.org"]]),
)
def test_recipient_is_the_same_as_cleaning_every_field(
    group: dict[str, str], failed: list[str]
) -> None:
    headers = "".join(f"X-Failed-Recipients: {a}\n" for a in failed)
    msg = read_message(f"{headers}Subject: x\n\nx\n".encode())
    assert rfc3464._recipient(group, msg) == _recipient_reference(group, failed)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["<<< 550 5.1.1 no\n", "<<<550-x\n", "<< 550\n", "<<", "x"])))
def test_a_text_without_a_transcript_has_no_remote_reply(pieces: list[str]) -> None:
    text = "".join(pieces)
    want = dsn_recovery._REMOTE_REPLY_RE.findall(text)
    got = dsn_recovery._remote_reply(text)
    assert (got is None) == (not want)


_PARAMS = st.sampled_from(
    [
        "report-type=delivery-status",
        "Report-Type=Delivery-Status",
        'report-type="delivery-status"',
        "report-type=feedback-report",
        "report-type*0=delivery-; report-type*1=status",
        "report-type*=''delivery%2Dstatus",
        'report-type="delivery\\-status"',
        'report-type="deliv\\ery-status"',
        "report-type=<delivery-status>",
        "report-type = delivery-status ",
        "report-type=delivery-status (c)",
        "report-type=disposition-notification",
        'boundary="b;x"',
        "report-type=d\u00e9livery-status",
        "charset=\udce9",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PARAMS, max_size=3), st.sampled_from(["\n", "\n ", " "]))
def test_report_type_is_read_as_the_stdlib_reads_it(params: list[str], fold: str) -> None:
    msg = read_message(b"Subject: x\n\nx\n")
    value = (";" + fold).join(["multipart/report", *params])
    msg._headers = [("Content-Type", value)]  # type: ignore[attr-defined]
    try:
        want: object = str(msg.get_param("report-type", "")).lower() == "delivery-status"
    except UnicodeError as exc:  # 8-bit bytes beside other characters: the stdlib's error
        want = type(exc)
    try:
        got: object = rfc3464._reports_delivery_status(msg)
    except UnicodeError as exc:
        got = type(exc)
    assert got == want


def test_the_command_is_set_and_every_other_field_kept() -> None:
    # every field a value of its own type, none the default (the compiled build checks types)
    hints = get_type_hints(RecipientReport)
    values = {
        f.name: 500 + i if int in get_args(hints[f.name]) else f"value of {f.name}"
        for i, f in enumerate(fields(RecipientReport))
    }
    r = RecipientReport(**values)
    assert dsn_recovery._commanded(r, "RCPT") == replace(r, command="RCPT")


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Final-Recipient: rfc822; a@b",
                "Action:failed",
                " folded",
                "\t5.1.1",
                "no field",
                "X-Y :  v",
                "9bad: x",
                "Status: 5.0.0",
                "",
                "550-5.7.26 x",
                "Diagnostic-Code: s",
            ]
        )
    ).map("\n".join)
)
def test_status_text_fields_are_those_each_match_gives(text: str) -> None:
    want = [
        [(m.group(1).lower(), m.group(2)) for m in _FIELD_BLOCK_RE.finditer(chunk)]
        for chunk in _BLANK_LINE_RE.split(text)
    ]
    if not _UNFOLDED_REPLY_RE.search(text):  # (reply lines are folded in first)
        assert text_blocks(text) == want


def test_only_ascii_letters_fold_to_the_letters_of_a_command_hint() -> None:
    """The command's wording is looked for in the lower-cased text, not by the re.IGNORECASE
    pattern: the same for every text, as no other character lower-cases to (or matches
    case-insensitively) a letter of the hint words."""
    letters = set("".join(dsn_recovery._HINT_WORDS))
    assert "|".join(dsn_recovery._HINT_WORDS) == _HINTS.text  # the words the reference reads
    every = "".join(chr(c) for c in range(0x110000))
    wanted = {c for c in letters if c.isalpha()} | {c.upper() for c in letters} | {">"}
    by_pattern = set(re.findall("[" + re.escape("".join(letters)) + "]", every, re.I))
    assert by_pattern == wanted
    lowering_to_them = {c for c in every if letters & set(c.lower())}
    assert lowering_to_them == wanted
