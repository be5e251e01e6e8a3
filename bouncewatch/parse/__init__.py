"""Parsing: raw message bytes in, a `DecodedMessage` out (kind, decoder, per-recipient fields
exactly as the report gives them).  Pure: no database, no network, no judgement.

Owns detection (`registry`), the decoders (`rfc3464`, `arf`, `autoreply`, `formats/`, the
`fallback`), MIME and header reading (`mime`, `headers`), and the return-path reading (`verp`).

May import: `bouncewatch.model` and the floor `bouncewatch.smtp`.  Never `classify` (that is
`bouncewatch.analyze`'s job), never the store, the sources, the daemon or the CLI.
"""

from bouncewatch.parse.api import decode_message

__all__ = ["decode_message"]
