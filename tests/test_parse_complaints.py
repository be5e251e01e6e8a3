"""Complaint notices that are not RFC 5965 reports: Outlook.com JMRP, Apple Mail unsubscribe."""

from __future__ import annotations

from pathlib import Path

from bouncewatch.parse import parse_message

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "arf"


def test_a_jmrp_report_is_a_complaint_about_the_stamped_recipient() -> None:
    got = parse_message((FIXTURES / "arf-07.eml").read_bytes())
    assert (got.kind, got.feedback_type) == ("complaint", "abuse")
    assert [r.report.address for r in got.recipients] == ["m.rossi@outlook.com"]
    assert got.extra["source_ip"] == "203.0.113.25"


def test_a_forwarded_message_without_the_jmrp_stamp_is_no_complaint() -> None:
    data = (FIXTURES / "arf-07.eml").read_bytes().replace(b"X-HmXmrOriginalRecipient", b"X-Note")
    assert parse_message(data).kind != "complaint"


def test_apple_mail_unsubscribe_is_an_opt_out_complaint_only_when_marked() -> None:
    data = (FIXTURES / "arf-08.eml").read_bytes()
    got = parse_message(data)
    assert (got.kind, got.feedback_type) == ("complaint", "opt-out")
    assert [r.report.address for r in got.recipients] == ["j.keller@icloud.com"]
    unmarked = parse_message(data.replace(b"X-Apple-Unsubscribe: true", b"X-Mailer: Mail"))
    assert unmarked.kind != "complaint"
