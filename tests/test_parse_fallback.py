"""The flufl.bounce fallback: the diagnostic next to each address, and the action it implies."""

from __future__ import annotations

import pytest

from bouncewatch.parse.fallback import _near

TEXT = """The following recipient(s) could not be reached:

ann@example.org
   Error Type: SMTP
   Remote server (10.2.0.14) issued an error.
   Remote server replied: {reply}
"""


def test_the_digits_of_an_ip_address_are_not_a_status() -> None:
    got = _near("ann@example.org", "failed", TEXT.format(reply="550 5.1.1 No such user"))
    assert (got.status, got.smtp_code) == ("5.1.1", 550)
    assert got.diagnostic == "Remote server replied: 550 5.1.1 No such user"


@pytest.mark.parametrize(
    ("guess", "reply", "action"),
    [
        ("delayed", "550 5.7.1 Message content rejected", "failed"),
        ("failed", "452 4.2.2 Mailbox full, try later", "delayed"),
        ("delayed", "Mailbox busy", "delayed"),
        ("failed", "Mailbox busy", "failed"),
    ],
)
def test_the_remote_code_decides_the_action_over_the_heuristic(
    guess: str, reply: str, action: str
) -> None:
    assert _near("ann@example.org", guess, TEXT.format(reply=reply)).action == action


def test_an_address_not_in_the_text_keeps_the_guess() -> None:
    got = _near("bob@example.org", "delayed", TEXT.format(reply="550 5.1.1 No such user"))
    assert (got.action, got.status, got.diagnostic) == ("delayed", None, None)
