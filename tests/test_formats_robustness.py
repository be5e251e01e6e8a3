"""Format decoders never raise, whatever the message: truncated, mangled or mis-encoded
bounces must come back as a detection or None (the registry would otherwise skip the
decoder and lose what it could have read)."""

from __future__ import annotations

import email
from email import policy

from fixture_files import format_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bouncewatch.parse.registry import FORMAT_DETECTORS

CORPUS = [
    p.read_bytes() for d in FORMAT_DETECTORS for p in sorted(format_folder(d.name).glob("*.eml"))
]


def run_all(data: bytes) -> None:
    msg = email.message_from_bytes(data, policy=policy.compat32)
    for detector in FORMAT_DETECTORS:
        found = detector.detect(msg)
        if found is not None:
            assert found.kind in ("bounce", "complaint")
            assert all(r.address for r in found.recipients)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.floats(0, 1))
def test_truncated_bounces(data: bytes, fraction: float) -> None:
    run_all(data[: int(len(data) * fraction)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=8))))
def test_mangled_bounces(data: bytes, edits: list[tuple[float, bytes]]) -> None:
    for where, junk in edits:
        i = int(len(data) * where)
        data = data[:i] + junk + data[i + len(junk) :]
    run_all(data)


def test_wrong_charset_and_encoding_labels() -> None:
    """A charset Python doesn't know, base64 that isn't, and 8-bit bytes in a 7-bit body."""
    for cte, charset in (("base64", "x-no-such-charset"), ("quoted-printable", "utf-8")):
        data = (
            "From: MAILER-DAEMON@mail.example.com\nSubject: failure notice\n"
            f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}\n\n"
            "Hi. This is the qmail-send program at mail.example.com.\n\n"
            "<a@example.org>:\nSorry, no mailbox here by that name. (#5.1.1) \xff\xfe=ZZ\n"
        ).encode("latin-1")
        run_all(data)


def test_ses_body_that_is_not_json() -> None:
    for body in ("{not json", '{"Type": "Notification", "Message": "{broken"}', "[1, 2]", ""):
        run_all(
            (
                "From: AWS Notifications <no-reply@sns.amazonaws.com>\n"
                f"Subject: AWS Notification Message\n\n{body}\n"
            ).encode()
        )


def test_quoted_printable_with_bare_cr_and_stray_8bit_byte() -> None:
    """Found by the property test: a bare-CR quoted-printable body with an 8-bit byte."""
    data = (
        b"From: MAILER-DAEMON@mail.example.com\rSubject: failure notice\r"
        b"Content-Type: text/plain; charset=utf-8\rContent-Transfer-Encoding: quoted-printable\r\r"
        b"Hi. This is the qmail-send program at mail.example.com.\r\r<a@example.org>:\r"
        b"Sorry, no mailbox here by that name. (#5.1.1) \x80=\rtail\r"
    )
    msg = email.message_from_bytes(data, policy=policy.compat32)
    found = next(d for d in FORMAT_DETECTORS if d.name == "qmail").detect(msg)
    assert found is not None
    assert [(r.address, r.status) for r in found.recipients] == [("a@example.org", "5.1.1")]


def test_absurdly_nested_mime_is_not_followed() -> None:
    parts = "".join(
        f'--b{i}\nContent-Type: multipart/mixed; boundary="b{i + 1}"\n\n' for i in range(60)
    )
    data = (
        'From: MAILER-DAEMON@mail.example.com\nSubject: failure notice\nContent-Type: multipart/mixed; boundary="b0"\n\n'
        + parts
        + "--b60\nContent-Type: text/plain\n\nHi. This is the qmail-send program at x.example.\n<a@example.org>:\nno (#5.1.1)\n"
    ).encode()
    msg = email.message_from_bytes(data, policy=policy.compat32)
    assert [d.name for d in FORMAT_DETECTORS if d.detect(msg)] == []
