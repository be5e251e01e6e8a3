"""Complaint notices that are not RFC 5965 reports: Apple Mail's unsubscribe requests."""

from __future__ import annotations

from pathlib import Path

from bouncewatch.analyze import analyze

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "arf"


def test_apple_mail_unsubscribe_is_an_opt_out_complaint_only_when_marked() -> None:
    data = (FIXTURES / "arf-07.eml").read_bytes()
    got = analyze(data)
    assert (got.kind, got.feedback_type) == ("complaint", "opt-out")
    assert [r.report.address for r in got.recipients] == ["j.keller@icloud.com"]
    unmarked = analyze(data.replace(b"X-Apple-Unsubscribe: true", b"X-Mailer: Mail"))
    assert unmarked.kind != "complaint"
