"""The documented decision order of classify(), step by step, with the rule each step names."""

from __future__ import annotations

import pytest

from bouncewatch.classify import classify
from bouncewatch.model import Classification, RecipientReport

UNKNOWN = "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown"


def r(action: str | None = "failed", status=None, code=None, text=None, host=None):
    return RecipientReport("jo@example.org", action, status, code, text, host)


def test_complaint_kind_wins_over_everything() -> None:
    got = classify(r(status="5.1.1", code=550, text=UNKNOWN), kind="complaint")
    assert got == Classification("complaint", "complaint", "kind:complaint")


def test_auto_reply_kind_is_none() -> None:
    got = classify(r(action=None, text="I am out of the office"), kind="auto_reply")
    assert got == Classification("none", "auto_reply", "kind:auto_reply")


@pytest.mark.parametrize("action", ["delivered", "relayed", "expanded", "Delivered"])
def test_success_actions_are_delivered(action: str) -> None:
    got = classify(r(action=action, status="2.0.0", code=250, text="250 2.0.0 OK"))
    assert got == Classification("none", "delivered", f"action:{action.lower()}")


def test_success_status_without_action_is_delivered() -> None:
    assert classify(r(action=None, status="2.1.5")).reason == "delivered"


def test_delayed_is_none_whatever_the_code_and_keeps_the_reason_in_the_rule() -> None:
    got = classify(r("delayed", "4.7.1", 451, "451 4.7.1 Greylisted, please try again later"))
    assert got == Classification("none", "delayed", "action:delayed:greylisted")
    got = classify(r("delayed", "5.1.1", 550, UNKNOWN))
    assert got == Classification("none", "delayed", "action:delayed:user_unknown")
    assert classify(r("delayed")).rule == "action:delayed:unknown"


def test_provider_row_beats_phrases_and_status() -> None:
    text = "550 5.7.1 No such user!"
    got = classify(r(status="5.7.1", code=550, text=text, host="mx.yandex.ru"))
    assert got.rule == "provider:yandex:NoSuchUser"


def test_strong_text_beats_the_status_code() -> None:
    got = classify(r(status="5.1.1", code=550, text="550 5.1.1 Mailbox full"))
    assert got == Classification("soft", "mailbox_full", "text:mailbox_full")
    got = classify(r(status="5.7.1", code=550, text="550 5.7.1 Greylisted, try again"))
    assert got == Classification("soft", "greylisted", "text:greylisted")


def test_status_beats_weak_text() -> None:
    got = classify(r(status="5.1.1", code=550, text="550 5.1.1 rejected"))
    assert got == Classification("hard", "user_unknown", "status:5.1.1")


def test_weak_text_beats_the_last_resort_status() -> None:
    got = classify(r(status="5.7.1", code=550, text="550 5.7.1 Access denied"))
    assert got == Classification("block", "blocked", "text:blocked")
    got = classify(r(status="5.7.1", code=550, text="550 5.7.1 Go away"))
    assert got == Classification("block", "policy", "status:5.7.1")


def test_status_missing_is_read_from_the_text() -> None:
    got = classify(r(text="host mx.example.org said: 550 5.1.2 bad destination system"))
    assert (got.reason, got.rule) == ("domain_not_found", "status:5.1.2")


def test_bare_reply_codes() -> None:
    assert classify(r(code=550, text="550")).rule == "code:550"
    assert classify(r(code=551)).reason == "user_unknown"
    assert classify(r(code=552)) == Classification("soft", "mailbox_full", "code:552")
    assert classify(r(None, code=421, text="421 go away for now")) == Classification(
        "soft", "system_error", "code:421"
    )
    # a 5xx with words nobody knows is not guessed
    assert classify(r(code=550, text="550 computer says no")) == Classification(
        "undetermined", "unknown", "none"
    )


def test_temporary_status_makes_an_address_reason_soft_but_not_the_reverse() -> None:
    got = classify(r(status="4.1.1", code=450, text=UNKNOWN), kind="bounce")
    assert (got.bounce_type, got.reason) == ("soft", "user_unknown")
    got = classify(r(None, status=None, code=450, text="450 user unknown"))
    assert (got.bounce_type, got.reason) == ("soft", "user_unknown")
    got = classify(r(status="5.2.2", code=552, text="552 mailbox full"))
    assert (got.bounce_type, got.reason) == ("soft", "mailbox_full")
    # block reasons stay block even when temporary
    got = classify(r(None, status="4.7.1", code=421, text="421 4.7.1 [TS03] permanently deferred"))
    assert got.bounce_type == "block"


def test_dsn_failed_with_temporary_status_means_the_mta_gave_up() -> None:
    text = "452 4.2.2 The email account that you tried to reach is over quota - gsmtp"
    got = classify(r("failed", "4.2.2", 452, text))
    assert got == Classification("soft", "expired", "action:failed:4.2.2:mailbox_full")
    got = classify(r("failed", "4.4.1", None, "connect to mx.example.org: Connection refused"))
    assert got == Classification("soft", "expired", "action:failed:4.4.1:network_error")
    # Exim gives up with "5.0.0" and the last 4xx reply
    got = classify(r("failed", "5.0.0", 452, "452 4.2.2 Over quota"))
    assert got == Classification("soft", "expired", "action:failed:452:mailbox_full")
    # a specific permanent status wins over the reply code
    assert classify(r("failed", "5.1.1", 450, "450 user unknown")).reason == "user_unknown"
    # only RFC 3464 DSNs say so explicitly; other formats' actions are inferred
    assert classify(r("failed", "4.2.2", 452, text), kind="bounce").reason == "mailbox_full"


def test_an_mta_saying_it_gave_up_beats_the_quoted_last_error() -> None:
    text = "451 4.7.1 Greylisted, please try again later: retry timeout exceeded"
    got = classify(r("failed", "5.0.0", 451, text), kind="bounce")
    assert got == Classification("soft", "expired", "text:expired")


def test_nothing_known() -> None:
    assert classify(r()) == Classification("undetermined", "unknown", "none")


def test_reply_codes_inside_a_multi_line_reply_do_not_split_the_wording() -> None:
    text = (
        "552-5.7.0 This message was blocked because its content presents a potential "
        "552-5.7.0 security issue. Please visit 552 5.7.0 https://support.google.com/ - gsmtp"
    )
    got = classify(r("failed", "5.7.0", 552, text))
    assert (got.reason, got.rule) == ("virus", "provider:gmail:BlockedMessage")
    got = classify(r("failed", None, None, "host mx.example.org said: 550 5.1.1 user unknown"))
    assert (got.reason, got.rule) == ("user_unknown", "text:user_unknown")


def test_a_delayed_notice_that_says_the_message_expired_is_final() -> None:
    # OpenSMTPD labels its expiry bounce "Action: delayed", "Status: 4.4.7"
    got = classify(r("delayed", "4.4.7", None, "Envelope expired"))
    assert (got.bounce_type, got.reason) == ("soft", "expired")
    assert classify(r("delayed", "4.4.1", None, "Connection refused")).reason == "delayed"


def test_a_dsn_failure_without_any_reply_from_the_receiver_is_expired() -> None:
    got = classify(r("failed", "5.0.0", None, "Network is down"))
    assert got == Classification("soft", "expired", "action:failed:5.0.0:network_error")
    # a loop detected by the receiver is a reply: not an expiry
    got = classify(r("failed", "5.4.14", 554, "554 5.4.14 Hop count exceeded - possible mail loop"))
    assert got.reason == "network_error"


def test_a_final_report_labelled_delayed_is_read_as_failed() -> None:
    text = "450 4.2.0 <grey@example.org>: Recipient address rejected: Greylisted"
    assert classify(r("delayed", "4.2.0", 450, text)).reason == "delayed"
    got = classify(r("delayed", "4.2.0", 450, text), final=True)
    assert got == Classification("soft", "expired", "action:failed:4.2.0:greylisted")


def test_a_malformed_status_is_no_status() -> None:
    """Regression (found by the property test): ":.1.0" was looked up in the status table
    and came out hard/user_unknown; a field that is not an RFC 3463 code says nothing."""
    assert classify(r("failed", ":.1.0", None, None)) == Classification(
        "undetermined", "unknown", "none"
    )
    # a malformed field falls back to the code in the diagnostic, as a missing one does
    got = classify(r("failed", "5.1", 550, "550 5.1.1 <x@example.org>: User unknown"))
    assert (got.reason, got.rule) == ("user_unknown", "text:user_unknown")


def test_a_bare_550_with_words_of_any_script_is_not_guessed_hard() -> None:
    """Regression (found by the property test): "550 ß" was hard (no ASCII word in it) while
    "550 SS", its upper case, was undetermined.  Text is compared case-folded, and words of
    any script count as words: only codes, addresses and MTA boiler-plate say nothing."""
    for text in ("550 ß", "550 SS", "550 用户不存在", "550 Пользователь"):
        got = classify(r("failed", None, 550, text))
        assert (got.bounce_type, got.reason) == ("undetermined", "unknown"), text
    assert classify(r("failed", None, 550, "550 <a@example.org>")).rule == "code:550"
