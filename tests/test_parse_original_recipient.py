"""Original-Recipient that differs from Final-Recipient (an alias expanded on the way) is kept."""

from __future__ import annotations

from fixture_files import fixture

from bouncewatch.analyze import analyze

ZIMBRA = fixture("zimbra-01")


def test_final_recipient_is_the_address_and_the_original_is_kept() -> None:
    [rcpt] = analyze(ZIMBRA.read_bytes()).recipients
    assert rcpt.report.address == "hgreen@larchmont.example.org"
    assert rcpt.report.original_recipient == "helen.green@larchmont.example.org"


def test_an_original_recipient_equal_to_the_final_one_is_not_repeated() -> None:
    data = ZIMBRA.read_bytes().replace(
        b"Original-Recipient: rfc822;helen.green@", b"Original-Recipient: rfc822;hgreen@"
    )
    [rcpt] = analyze(data).recipients
    assert rcpt.report.original_recipient is None


EXCHANGE = fixture("exchange-ndr-02")
X500 = "IMCEAEX-_O=GRANARY_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP+20+28FYDIBOHF23SPDLT+29_CN=RECIPIENTS_CN=RDELGADO@granary.example.com"


def test_an_exchange_encapsulated_final_recipient_gives_way_to_the_original() -> None:
    [rcpt] = analyze(EXCHANGE.read_bytes()).recipients
    assert rcpt.report.address == "r.delgado@granary.example.com"


def test_an_encapsulated_final_recipient_alone_is_still_reported() -> None:
    data = EXCHANGE.read_bytes().replace(
        b"Original-Recipient: rfc822;r.delgado@granary.example.com\n", b""
    )
    [rcpt] = analyze(data).recipients
    assert rcpt.report.address == X500
