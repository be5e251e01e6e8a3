"""Which of a message's recipients may change state (docs/trust.md): the store's side of
`bouncewatch.trust` -- the verified signed return path, the sent message a bounce returns
(looked up in sent_messages / sent_recipients), and the verdicts.

Called by the recorder inside the message's transaction; the usual message (no secret
configured, a Message-ID nobody recorded) costs one indexed SELECT."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bouncewatch.model import ParseResult
from bouncewatch.smtp.address import normalise
from bouncewatch.trust import KnownMessage, Verdict, judge
from bouncewatch.trust.envelope import addresses_in, first_address
from bouncewatch.trust.signing import first_signed

if TYPE_CHECKING:
    from bouncewatch.store.address_rows import Store


#: `verdicts` looks sent messages up in the store's connection
_STORE = object()


def message_id_key(value: str) -> str:
    """A Message-ID as the sent_messages table keeps it: without angle brackets and space."""
    return value.strip().strip("<>").strip()


def known_message(conn: object, message_id: str | None) -> KnownMessage | None:
    """The sent message `bouncewatch sent` recorded under `message_id`, or None."""
    key = message_id_key(message_id) if message_id else ""
    if not key:
        return None
    row = conn.execute(  # type: ignore[attr-defined]
        "SELECT 1 FROM sent_messages WHERE message_id = ?", (key,)
    ).fetchone()
    if row is None:
        return None
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT address FROM sent_recipients WHERE message_id = ?", (key,)
    ).fetchall()
    return KnownMessage(frozenset(r[0] for r in rows))


def verdicts(
    store: Store,
    result: ParseResult,
    recipients: list[tuple[str, str]],
    received: datetime,
    sent: object = _STORE,
) -> list[Verdict]:
    """One verdict per (reported address, address the state belongs to).  `sent`: the
    connection to look the returned message up with (None: `bouncewatch sent` recorded no
    message, so there is nothing to look up)."""
    if not recipients:
        return []
    fold = store.policy.fold_local_part
    signed_for = None
    if store.verp_secrets:
        found = first_signed(
            addresses_in(result.envelope_to),
            store.verp_secrets,
            received,
            store.trust.verp_max_age,
        )
        if found is not None and found.valid:
            signed_for = normalise(found.address, fold_local_part=fold)[0]
    if sent is _STORE:
        sent = store.conn
    known = None if sent is None else known_message(sent, result.original_message_id)
    if signed_for is None and known is None:  # the usual case: nothing to match names with
        names: list[tuple[str, ...]] = [(address,) for _reported, address in recipients]
    else:  # the address the state belongs to, and the one the report names
        names = [
            (address, normalise(reported, fold_local_part=fold, verp=store.verp)[0])
            for reported, address in recipients
        ]
    complaint = result.kind == "complaint"
    return judge(
        names,
        complaint=complaint,
        trust=store.trust,
        signed_for=signed_for,
        known=known,
        sender=first_address(result.sender) if complaint else None,  # only complaints ask
    )


__all__ = ["known_message", "message_id_key", "verdicts"]
