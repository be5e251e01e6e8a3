"""Every non-RFC 3464 decoder against its own fixture folder, decoded directly (without the
classifier), with LF, CRLF and bare-CR line endings; plus no decoder claiming another
format's message or a message that is not a bounce."""

from __future__ import annotations

import email
import json
from email import policy
from email.message import Message
from pathlib import Path

import pytest
from fixture_files import emls, format_folder

from bouncewatch.parse.base import Detection
from bouncewatch.parse.registry import FORMAT_DETECTORS

#: fixture folder -> the decoder that owns the format (fixtures/formats/<decoder>/)
FOLDERS: dict[Path, str] = {format_folder(d.name): d.name for d in FORMAT_DETECTORS}
#: a provider's variant is also a valid message of the MTA it is built on
ALSO_ACCEPTED_BY: dict[str, set[str]] = {"aol": {"sendmail"}, "verizon": {"james"}}
#: folders of other kinds of messages no format decoder may claim
FOREIGN = ("negative", "autoreply", "arf")

BY_NAME = {d.name: d for d in FORMAT_DETECTORS}
CASES = sorted(p for folder in FOLDERS for p in folder.glob("*.eml"))
FOREIGN_CASES = sorted(p for name in FOREIGN for p in emls(name))
ENDINGS = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}


def load(path: Path, ending: bytes = b"\n") -> Message:
    data = path.read_bytes().replace(b"\r\n", b"\n")
    if ending != b"\n":
        data = data.replace(b"\n", ending)
    return email.message_from_bytes(data, policy=policy.compat32)


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def check_recipients(found: Detection, expect: dict, text_only: bool = False) -> None:
    """Compare decoded recipients with the expectation.  `text_only`: the pipeline reads this
    message's DSN part first, so fields only that part carries (the remote host Gmail
    doesn't name in its text, say) are compared only when the text decoder found them."""
    got = found.recipients
    assert [r.address for r in got] == [w["address"] for w in expect["recipients"]]
    for r, w in zip(got, expect["recipients"], strict=True):
        for key in ("action", "status", "smtp_code", "remote_mta", "diagnostic"):
            if key in w and not (text_only and getattr(r, key) is None):
                assert getattr(r, key) == w[key], f"{r.address}: {key}"
        if "diagnostic_contains" in w:
            assert w["diagnostic_contains"] in (r.diagnostic or ""), r.address


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_decoder_reads_its_fixture(path: Path, ending: str) -> None:
    expect = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    owner = BY_NAME[FOLDERS[path.parent]]
    found = owner.detect(load(path, ENDINGS[ending]))
    assert found is not None, f"{owner.name} did not recognise {path.name}"
    check_recipients(found, expect, text_only=expect.get("detector") != owner.name)
    if expect.get("detector") == owner.name:
        assert found.kind == expect["kind"]
        if "feedback_type" in expect:
            assert found.feedback_type == expect["feedback_type"]


@pytest.mark.parametrize("path", CASES, ids=case_id)
def test_first_format_to_match_is_the_owner(path: Path) -> None:
    """In registry order the owner answers first, and no other decoder (bar the MTA a
    provider builds on) claims the message at all."""
    msg = load(path)
    owner = FOLDERS[path.parent]
    claimed = [d.name for d in FORMAT_DETECTORS if d.detect(msg) is not None]
    assert claimed[:1] == [owner]
    assert set(claimed[1:]) <= ALSO_ACCEPTED_BY.get(owner, set())


@pytest.mark.parametrize("path", FOREIGN_CASES, ids=case_id)
def test_no_format_claims_a_message_of_another_kind(path: Path) -> None:
    msg = load(path)
    assert [d.name for d in FORMAT_DETECTORS if d.detect(msg) is not None] == []


def test_every_format_has_fixtures() -> None:
    counts = {name: len(list(folder.glob("*.eml"))) for folder, name in FOLDERS.items()}
    assert all(n >= 3 for n in counts.values()), counts
    assert set(FOLDERS.values()) == set(BY_NAME)
    for folder in FOLDERS:
        for eml in folder.glob("*.eml"):
            assert eml.with_suffix(".json").exists(), eml
