"""Fast paths of the header work and the classification, each against the general path it
stands in for: the same answer on every input, generated to sit on the border of the fast
path's shape (and across it)."""

from __future__ import annotations

from email.message import Message

from hypothesis import given, settings
from hypothesis import strategies as st

from bouncewatch.parse.headers import pick_headers
from bouncewatch.parse.verp import envelope_headers, picked_and_envelope

# --- one pass for the bounce's own headers and its envelope headers ---------------------------

NAMES = ["To", "to", "TO", "From", "from", "Delivered-To", "delivered-to", "X-Original-To"]
NAMES += ["Envelope-To", "X-Envelope-To", "Subject", "SUBJECT", "Date", "Message-ID", "List-Id"]
NAMES += ["X-Mailer", "Received", "Tö", "list-unsubscribe", "Frm", "X-List"]
WANTED = [
    frozenset({"message-id", "subject", "date", "list-id"}),
    frozenset({"message-id", "subject", "date", "to", "from", "x-list"}),
    frozenset(),
]


@settings(max_examples=500, deadline=None)
@given(
    headers=st.lists(
        st.tuples(
            st.sampled_from(NAMES) | st.text(max_size=14),
            st.text(max_size=1200) | st.none() | st.integers(),
        ),
        max_size=30,
    ),
    wanted=st.sampled_from(WANTED),
)
def test_picked_and_envelope_is_both_passes(
    headers: list[tuple[str, object]], wanted: frozenset[str]
) -> None:
    msg = Message()
    msg._headers = headers  # type: ignore[attr-defined]  # what the parser builds, odd values too
    picked, envelope_to, sender = picked_and_envelope(msg, wanted)
    assert picked == pick_headers(msg, wanted)
    assert (envelope_to, sender) == envelope_headers(msg)
