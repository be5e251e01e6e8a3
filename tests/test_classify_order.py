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
    # the reason is the receiver's cause; the give-up is `expired` and the rule's suffix
    text = "452 4.2.2 The email account that you tried to reach is over quota - gsmtp"
    got = classify(r("failed", "4.2.2", 452, text))
    assert got == Classification(
        "soft", "mailbox_full", "provider:gmail:OverQuota+gave-up:action:failed:4.2.2", True
    )
    got = classify(r("failed", "4.4.1", None, "connect to mx.example.org: Connection refused"))
    assert got == Classification(
        "soft", "network_error", "text:network_error+gave-up:action:failed:4.4.1", True
    )
    # Exim gives up with "5.0.0" and the last 4xx reply
    got = classify(r("failed", "5.0.0", 452, "452 4.2.2 Over quota"))
    assert got == Classification(
        "soft", "mailbox_full", "text:mailbox_full+gave-up:action:failed:452", True
    )
    # no cause given: then, and only then, the reason is "expired"
    got = classify(r("failed", "4.0.0", None, None))
    assert got == Classification("soft", "expired", "action:failed:4.0.0", True)
    got = classify(r("failed", "5.0.0", 451, "451 please hold on"))
    assert got == Classification("soft", "expired", "action:failed:451", True)
    # a specific permanent status wins over the reply code
    assert classify(r("failed", "5.1.1", 450, "450 user unknown")).reason == "user_unknown"
    # only RFC 3464 DSNs say so explicitly; other formats' actions are inferred
    assert classify(r("failed", "4.2.2", 452, text), kind="bounce").reason == "mailbox_full"


def test_an_mta_saying_it_gave_up_beats_the_quoted_last_error() -> None:
    text = "451 4.7.1 Greylisted, please try again later: retry timeout exceeded"
    got = classify(r("failed", "5.0.0", 451, text), kind="bounce")
    assert got == Classification("soft", "greylisted", "text:greylisted+gave-up:text:expired", True)
    got = classify(r("failed", "5.0.0", None, "retry timeout exceeded"), kind="bounce")
    assert got == Classification("soft", "expired", "text:expired", True)
    # a permanent-looking last reply under a give-up is not final for the address
    text = "550 5.1.1 user unknown: retry timeout exceeded"
    got = classify(r("failed", "5.1.1", 550, text), kind="bounce")
    assert (got.bounce_type, got.reason, got.expired) == ("soft", "user_unknown", True)


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
    assert got == Classification(
        "soft", "network_error", "text:network_error+gave-up:action:failed:5.0.0", True
    )
    # a loop detected by the receiver is a reply: not an expiry
    got = classify(r("failed", "5.4.14", 554, "554 5.4.14 Hop count exceeded - possible mail loop"))
    assert got.reason == "network_error"


def test_a_final_report_labelled_delayed_is_read_as_failed() -> None:
    text = "450 4.2.0 <grey@example.org>: Recipient address rejected: Greylisted"
    assert classify(r("delayed", "4.2.0", 450, text)).reason == "delayed"
    got = classify(r("delayed", "4.2.0", 450, text), final=True)
    assert got == Classification(
        "soft", "greylisted", "text:greylisted+gave-up:action:failed:4.2.0", True
    )


def test_a_malformed_status_is_no_status() -> None:
    """Regression (found by the property test): ":.1.0" was looked up in the status table
    and came out hard/user_unknown; a field that is not an RFC 3463 code says nothing."""
    assert classify(r("failed", ":.1.0", None, None)) == Classification(
        "undetermined", "unknown", "none"
    )
    # a malformed field falls back to the code in the diagnostic, as a missing one does
    got = classify(r("failed", "5.1", 550, "550 5.1.1 <jo@example.org>: User unknown"))
    assert (got.reason, got.rule) == ("user_unknown", "text:user_unknown")


def test_a_bare_550_with_words_of_any_script_is_not_guessed_hard() -> None:
    """Regression (found by the property test): "550 ß" was hard (no ASCII word in it) while
    "550 SS", its upper case, was undetermined.  Text is compared case-folded, and words of
    any script count as words: only codes, addresses and MTA boiler-plate say nothing."""
    for text in ("550 ß", "550 SS", "550 用户不存在", "550 Пользователь"):
        got = classify(r("failed", None, 550, text))
        assert (got.bounce_type, got.reason) == ("undetermined", "unknown"), text
    assert classify(r("failed", None, 550, "550 <jo@example.org>")).rule == "code:550"


def test_a_diagnostic_about_another_address_is_no_evidence_for_this_one() -> None:
    # an MTA that copied one recipient's refusal to every recipient of the message
    text = "550 5.1.1 <someone.else@example.org>: Recipient address rejected: User unknown"
    got = classify(r("failed", "5.1.1", 550, text))
    assert (got.bounce_type, got.reason) == ("undetermined", "unknown")
    assert got.rule == "text:user_unknown+other-address"
    # the same local part at another host of the domain, or the original recipient, is this one
    text = "550 5.1.1 <jo@mx1.example.org>... User unknown"
    assert classify(r("failed", "5.1.1", 550, text)).bounce_type == "hard"
    report = RecipientReport(
        "jo.smith@example.net", "failed", "5.1.1", 550, UNKNOWN, original_recipient="jo@example.org"
    )
    assert classify(report).bounce_type == "hard"
    # a role address named for contact says nothing about who the reply is about
    text = "550 5.1.1 User unknown; questions to postmaster@example.org"
    assert classify(r("failed", "5.1.1", 550, text)).bounce_type == "hard"
    # a user who moved names the new address by nature
    text = "551 5.1.6 User has moved; please try <jo@new.example.net>"
    assert classify(r("failed", "5.1.6", 551, text)).reason == "has_moved"


@pytest.mark.parametrize(
    ("status", "command", "text", "rule"),
    [
        # the words say "user unknown", the mailbox status (x.2.x) says the mailbox exists
        (
            "5.2.1",
            None,
            "550 5.2.1 <jo@example.org>... User Unknown",
            "text:user_unknown+refuted:status:5.2.1",
        ),
        # refused after DATA: the receiver had accepted the recipient at RCPT TO
        (
            "5.0.0",
            "DATA",
            "550 Unknown user jo@example.org",
            "text:user_unknown+refuted:after-data",
        ),
        (
            "5.0.0",
            None,
            "550 Unknown user jo@example.org (in reply to end of DATA command)",
            "text:user_unknown+refuted:after-data",
        ),
        # x.1.7 / x.1.8 and MAIL FROM are about the sender, whatever the words
        (
            "5.1.7",
            None,
            "550 5.1.7 No such domain example.net",
            "text:domain_not_found+refuted:sender-status:5.1.7",
        ),
        ("5.0.0", "MAIL", "550 5.0.0 Unknown user", "text:user_unknown+refuted:after-mail-from"),
    ],
)
def test_user_unknown_words_the_report_contradicts_are_not_hard(
    status: str, command: str | None, text: str, rule: str
) -> None:
    report = RecipientReport("jo@example.org", "failed", status, 550, text, command=command)
    got = classify(report)
    assert (got.bounce_type, got.reason, got.rule) == ("block", "policy", rule)


def test_evidence_at_rcpt_or_an_address_status_or_a_provider_row_stands() -> None:
    text = "550 5.2.1 <jo@example.org>... User Unknown"
    report = RecipientReport("jo@example.org", "failed", "5.2.1", 550, text, command="RCPT")
    assert classify(report).bounce_type == "hard"
    text = "550 5.1.1 <jo@example.org>... User Unknown"
    report = RecipientReport("jo@example.org", "failed", "5.1.1", 550, text, command="DATA")
    assert classify(report).bounce_type == "hard"
    # Yahoo refuses unknown users after DATA, in its own words
    text = "554 delivery error: dd This user doesn't have a yahoo.com account (jo@yahoo.com)"
    report = RecipientReport("jo@yahoo.com", "failed", None, 554, text, command="DATA")
    assert classify(report).rule == "provider:yahoo:NoAccount"


def test_a_mobile_carriers_sender_filter_is_not_an_unknown_user() -> None:
    # au / docomo / SoftBank refuse senders outside the subscriber's allowed list in words
    # that read like "user unknown"; at RCPT TO the same words are about the address
    report = RecipientReport("taro@ezweb.ne.jp", "failed", "5.0.0", 550, "550 : User unknown")
    got = classify(report)
    assert (got.bounce_type, got.rule) == ("block", "text:user_unknown+refuted:carrier-filter")
    report = RecipientReport(
        "taro@example.jp", "failed", None, 550, "550 Unknown user", "mfsmax.docomo.ne.jp"
    )
    assert classify(report).reason == "policy"
    report = RecipientReport(
        "taro@ezweb.ne.jp", "failed", "5.0.0", 550, "550 : User unknown", command="RCPT"
    )
    assert classify(report).bounce_type == "hard"


def test_a_carriers_reply_quoting_the_recipient_answered_rcpt_to() -> None:
    # "550 <a@b>: User unknown" is how the carrier's MX answers RCPT TO:<a@b>; its sender
    # filter names nobody ("550 : User unknown"); a reporting MTA's "<a@b>: host … said:"
    # prefix is not the reply's own words
    quoted = RecipientReport(
        "taro@ezweb.ne.jp", "failed", "5.0.0", 550, "550 <taro@ezweb.ne.jp>: User unknown"
    )
    assert (classify(quoted).bounce_type, classify(quoted).rule) == ("hard", "text:user_unknown")
    prefixed = RecipientReport(
        "taro@ezweb.ne.jp",
        "failed",
        "5.0.0",
        550,
        "<taro@ezweb.ne.jp>: host lsean.ezweb.ne.jp[192.0.2.1] said: 550 : User unknown",
    )
    assert classify(prefixed).rule == "text:user_unknown+refuted:carrier-filter"


@pytest.mark.parametrize(
    ("command", "text", "rule"),
    [
        ("HELO", "501 5.0.0 Invalid domain name", "text:domain_not_found+refuted:at-helo"),
        ("CONN", "554 5.7.1 No such user here", "text:user_unknown+refuted:at-conn"),
        # a refusal at the greeting that is not about an address keeps its reason
        ("CONN", "554 5.7.1 Service unavailable; client host blocked", "text:blocked"),
    ],
)
def test_a_refusal_before_any_address_is_about_the_sending_host(
    command: str, text: str, rule: str
) -> None:
    got = classify(RecipientReport("jo@example.org", "failed", None, None, text, command=command))
    assert (got.bounce_type, got.reason, got.rule) == ("block", "blocked", rule)


def test_a_temporary_dns_failure_is_a_network_error_not_a_missing_domain() -> None:
    text = "Host or domain name not found. Name service error for name=example.net type=MX: "
    got = classify(r("failed", "5.4.4", None, text + "Host not found, try again"))
    assert (got.bounce_type, got.reason) == ("soft", "network_error")
    got = classify(r("failed", "5.4.4", None, text + "Host not found"))
    assert (got.bounce_type, got.reason) == ("hard", "domain_not_found")
    # a lookup that the MTA gave up on after retrying
    text = "DNS Error: DNS type 'mx' lookup of example.net responded with code NXDOMAIN"
    got = classify(r("failed", "4.0.0", None, text))
    assert (got.bounce_type, got.reason, got.expired) == ("soft", "network_error", True)


def test_null_mx_stays_hard_whatever_the_reporting_status() -> None:
    text = (
        "DNS Error: DNS type 'mx' lookup of example.net responded with code NOERROR The "
        "domain example.net doesn't receive email according to the administrator: "
        "returned Null MX"
    )
    got = classify(r("failed", "4.0.0", None, text))
    assert (got.bounce_type, got.reason, got.expired) == ("hard", "not_accept", True)
