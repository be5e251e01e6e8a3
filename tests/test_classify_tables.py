"""The classifier's tables check themselves: vocabulary, provider rows, order, anchors."""

from __future__ import annotations

import random

import pytest
from classify_helpers import named

from bouncewatch.classify import classify
from bouncewatch.classify.api import INDEX
from bouncewatch.classify.matcher import (
    PhraseIndex,
    _items_shape,
    _shape,
    anchor_of,
    normalise,
    words,
)
from bouncewatch.classify.providers import PROVIDER_RULES, ProviderRule
from bouncewatch.classify.reasons import (
    GAVE_UP_PHRASES,
    REASON_INFO,
    STATUS_TABLE,
    STRONG_PHRASES,
    WEAK_PHRASES,
    reason_for_status,
)
from bouncewatch.classify.regex_items import top_level_items
from bouncewatch.model import REASONS, RecipientReport
from bouncewatch.smtp.reply import extract_codes

#: a remote MTA per provider, for rows that require the provider's host
HOSTS = {
    "gmail": "gmail-smtp-in.l.google.com",
    "microsoft": "example-com.mail.protection.outlook.com",
    "yahoo": "mta6.am0.yahoodns.net",
    "icloud": "mx01.mail.icloud.com",
    "proton": "mail.protonmail.ch",
    "gmx": "mx00.emig.gmx.net",
    "mailru": "mxs.mail.ru",
    "yandex": "mx.yandex.ru",
    "zoho": "mx.zoho.com",
    "fastmail": "in1-smtp.messagingengine.com",
    "tencent": "mx3.qq.com",
}


def test_reason_info_covers_exactly_the_vocabulary_in_its_order() -> None:
    assert list(REASON_INFO) == list(REASONS)
    for name, info in REASON_INFO.items():
        assert info.bounce_type == REASONS[name]
        assert info.description


def test_phrase_tiers_and_status_table_use_only_known_reasons() -> None:
    for reason, patterns in GAVE_UP_PHRASES + STRONG_PHRASES + WEAK_PHRASES:
        assert reason in REASONS
        assert patterns, reason
    assert set(STATUS_TABLE.values()) <= set(REASONS)
    assert {row.reason for row in PROVIDER_RULES} <= set(REASONS)


def test_every_failure_reason_has_phrases_or_status_codes() -> None:
    phrased = {reason for reason, _ in GAVE_UP_PHRASES + STRONG_PHRASES + WEAK_PHRASES}
    coded = set(STATUS_TABLE.values())
    not_failures = {"complaint", "auto_reply", "delayed", "delivered", "unknown"}
    assert set(REASONS) - not_failures <= phrased | coded


def test_status_table_exact_code_beats_class_free_entry() -> None:
    assert reason_for_status("5.3.2") == ("not_accept", False)
    assert reason_for_status("4.3.2") == ("system_error", False)
    assert reason_for_status("5.1.1") == ("user_unknown", False)
    assert reason_for_status("5.7.1") == ("policy", True)
    assert reason_for_status("5.9.9") == (None, False)


def _row_id(row: ProviderRule) -> str:
    return row.rule


@pytest.mark.parametrize("row", PROVIDER_RULES, ids=_row_id)
def test_provider_row_example_is_decided_by_that_row(row: ProviderRule) -> None:
    status, code = extract_codes(row.example)
    host = HOSTS.get(row.provider) if row.host else None
    report = RecipientReport(named(row.example), "failed", status, code, row.example, host)
    got = classify(report, kind="bounce")
    assert got.rule == row.rule
    assert got.reason == row.reason


def test_provider_rows_are_unique_and_documented() -> None:
    rules = [row.rule for row in PROVIDER_RULES]
    assert len(rules) == len(set(rules))
    for row in PROVIDER_RULES:
        assert row.source and row.example
        if row.host:
            assert row.provider in HOSTS, row.rule


def test_provider_row_with_host_needs_the_host() -> None:
    text = "550 5.1.1 <nobody@example.org>: user does not exist"
    rcpt = "nobody@example.org"
    with_host = classify(RecipientReport(rcpt, "failed", "5.1.1", 550, text, HOSTS["icloud"]))
    without = classify(RecipientReport(rcpt, "failed", "5.1.1", 550, text, None))
    assert with_host.rule == "provider:icloud:UserUnknown"
    assert without.rule == "text:user_unknown"
    assert with_host.reason == without.reason == "user_unknown"


def test_every_phrase_has_an_anchor_and_the_index_holds_them_in_order() -> None:
    total = sum(len(r.patterns) for r in PROVIDER_RULES) + sum(
        len(p) for _, p in GAVE_UP_PHRASES + STRONG_PHRASES + WEAK_PHRASES
    )
    assert len(INDEX.phrases) == total
    assert [p.priority for p in INDEX.phrases] == list(range(total))
    for phrase in INDEX.phrases:
        assert phrase.anchor == anchor_of(phrase.pattern)


def test_every_phrase_is_a_regular_expression() -> None:
    # the index compiles a phrase's regex the first time a text is searched for it: this
    # compiles them all, as no single run does
    index = PhraseIndex((p.pattern, p.payload) for p in INDEX.phrases)
    index.compile_all()
    for phrase in index.phrases:
        assert phrase.compiled().pattern == phrase.pattern


def test_plain_phrases_are_read_as_the_item_reader_reads_them() -> None:
    # a phrase with no regex syntax is read with one regex instead of item by item: the
    # shortcut gives the item reader's anchor and word edges for every phrase of the tables
    plain = 0
    for phrase in INDEX.phrases:
        items = top_level_items(phrase.pattern)
        assert _shape(phrase.pattern) == _items_shape(items), phrase.pattern
        plain += all(op == "literal" for op, _ in items)
    assert plain > len(INDEX.phrases) // 2  # the shortcut is taken


@pytest.mark.parametrize(
    "pattern",
    ["", "-", "x", "no such user", "5.1.1", "foo_bar baz", "user's mailbox", "é quota", "550 "],
)
def test_plain_shortcut_agrees_with_the_item_reader(pattern: str) -> None:
    assert _shape(pattern) == _items_shape(top_level_items(pattern))


def test_candidates_come_in_priority_order_whatever_the_word_order() -> None:
    text = normalise("550 5.7.1 spam blocked using zen.spamhaus.org user unknown mailbox full")
    ws = words(text)
    expected = [p.priority for p in INDEX.candidates(ws)]
    assert expected == sorted(expected)
    rng = random.Random(7)
    for _ in range(20):
        shuffled = list(ws)
        rng.shuffle(shuffled)
        assert [p.priority for p in INDEX.candidates(shuffled)] == expected


def test_classification_is_deterministic_and_cached_results_equal_fresh_ones() -> None:
    report = RecipientReport("a@x.org", "failed", "5.7.1", 550, "550 5.7.1 blocked: spam", None)
    first = classify(report)
    assert all(classify(report) == first for _ in range(5))
    assert first.reason == "spam_content"  # strong "spam" beats weak "blocked"


# --- the matcher ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "anchor"),
    [
        (r"user unknown", "unknown"),
        (r"mailbox (?:is )?full", "mailbox"),
        (r"over quota", "quota"),
        (r"\[tss04\]", "tss04"),
        (r"no mx (?:record|host)", "mx"),
        (r"(?<!not )listed (?:at|in|on|by)", "listed"),
        (r"client host (?:\S+ )?blocked", "client"),
        (r"greylist(?:ed)?", None),
        (r"gr[ae]ylist", None),
        (r"dial-?up", None),
    ],
)
def test_anchor_is_a_whole_word_the_pattern_requires(pattern: str, anchor: str | None) -> None:
    assert anchor_of(pattern) == anchor


def test_phrases_match_whole_words_only() -> None:
    index = PhraseIndex([(r"quota", "q"), (r"spam", "s"), (r"\[tss04\]", "t")])
    assert index.first(normalise("Recipient OVERQUOTA")) is None
    assert index.first(normalise("spamhaus listed, then spam"))
    assert index.first(normalise("spamhaus listed")) is None
    assert index.first(normalise("quota")).payload == "q"
    assert index.first(normalise("421 [TSS04] deferred")).payload == "t"


def test_index_rejects_phrases_it_could_not_find_fast() -> None:
    with pytest.raises(ValueError, match="anchor"):
        PhraseIndex([(r"gr[ae]ylist", "g")])
    with pytest.raises(ValueError, match="lower case"):
        PhraseIndex([(r"User Unknown", "u")])


def test_compiling_all_names_a_phrase_that_is_not_a_regex() -> None:
    index = PhraseIndex([(r"quota", "q"), (r"mailbox (?:full", "m")])
    assert index.first(normalise("over quota")) is not None  # compiled on first use
    with pytest.raises(ValueError, match=r"not a regular expression: 'mailbox \(\?:full'"):
        index.compile_all()


def test_a_phrase_is_compiled_on_first_use_and_once() -> None:
    index = PhraseIndex([(r"quota (?:\S+ )?exceeded", "q"), (r"mailbox full", "m")])
    quota, full = index.phrases
    assert quota._regex is None and full._regex is None  # building the index compiles none
    assert index.first(normalise("Quota exceeded")) is quota
    compiled = quota._regex
    assert compiled is not None and full._regex is None  # only the phrase searched for
    assert index.first(normalise("quota 2GB exceeded")) is quota
    assert quota._regex is compiled
