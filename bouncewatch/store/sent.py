"""Messages the sending tool sent: their Message-IDs and recipients (`bouncewatch sent`).

A bounce that returns one of these Message-IDs, about one of its recipients, is
authenticated (docs/trust.md).  Files come as JSON Lines (one object a line:
``{"message_id": "<…>", "to": ["a@example.org"], "sent_at": "…", "source": "…"}``; ``to``
may be one string) or CSV with a header line naming ``message_id`` and optionally ``to``
(addresses separated by spaces, commas or semicolons), ``sent_at`` and ``source``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bouncewatch.errors import BouncewatchError
from bouncewatch.smtp.address import normalise
from bouncewatch.store.timefmt import iso, parse_time
from bouncewatch.store.trusted import message_id_key

if TYPE_CHECKING:
    from bouncewatch.store.database import Store

#: a Message-ID longer than this is not one (RFC 5322 lines are at most 998 characters)
MAX_ID_CHARS = 998
_SPLIT = re.compile(r"[\s,;]+")


class SentFileError(BouncewatchError):
    """A line of a sent-messages file that can't be read; names the file and line."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: str
    recipients: tuple[str, ...] = ()
    sent_at: str | None = None  #: ISO 8601 UTC
    source: str = ""


def sent_message(
    message_id: object,
    recipients: object = (),
    sent_at: object = None,
    source: object = "",
    where: str = "",
) -> SentMessage:
    """Validate one record; `where` ("file:line") goes into the error."""
    prefix = f"{where}: " if where else ""
    if not isinstance(message_id, str) or not message_id_key(message_id):
        raise SentFileError(f"{prefix}message_id: missing or empty")
    key = message_id_key(message_id)
    if len(key) > MAX_ID_CHARS or any(c.isspace() for c in key) or "@" not in key:
        raise SentFileError(f"{prefix}message_id: {message_id[:80]!r} is not a Message-ID")
    if isinstance(recipients, str):
        recipients = [r for r in _SPLIT.split(recipients) if r]
    if not isinstance(recipients, list | tuple) or not all(isinstance(r, str) for r in recipients):
        raise SentFileError(f"{prefix}to: expected an address or a list of addresses")
    for r in recipients:
        if "@" not in r:
            raise SentFileError(f"{prefix}to: {r[:80]!r} is not an address")
    when = None
    if sent_at not in (None, ""):
        t = parse_time(sent_at) if isinstance(sent_at, str) else None
        if t is None:
            raise SentFileError(f"{prefix}sent_at: {str(sent_at)[:40]!r} is not a time")
        when = iso(t)
    if not isinstance(source, str):
        raise SentFileError(f"{prefix}source: expected a string")
    return SentMessage(key, tuple(recipients), when, source)


def read_sent_file(path: Path, text: str | None = None) -> Iterator[SentMessage]:
    """The records of a JSON Lines or CSV file (told apart by the first character)."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SentFileError(f"{path}: cannot read: {e}") from None
    if text.lstrip().startswith("{"):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj: Any = json.loads(line)
            except json.JSONDecodeError as e:
                raise SentFileError(f"{path}:{n}: not JSON: {e.msg}") from None
            if not isinstance(obj, dict):
                raise SentFileError(f"{path}:{n}: expected an object")
            yield sent_message(
                obj.get("message_id"),
                obj.get("to", ()),
                obj.get("sent_at"),
                obj.get("source", "") or "",
                f"{path}:{n}",
            )
        return
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "message_id" not in reader.fieldnames:
        raise SentFileError(f"{path}: a CSV file needs a header line with a message_id column")
    for n, row in enumerate(reader, 2):
        yield sent_message(
            row.get("message_id"),
            row.get("to") or "",
            row.get("sent_at") or None,
            row.get("source") or "",
            f"{path}:{n}",
        )


_INSERT_MESSAGE = """
INSERT INTO sent_messages (message_id, sent_at, source) VALUES (?, ?, ?)
ON CONFLICT(message_id) DO NOTHING"""
_INSERT_RECIPIENT = """
INSERT INTO sent_recipients (message_id, address) VALUES (?, ?) ON CONFLICT DO NOTHING"""


def record_sent(store: Store, messages: Iterable[SentMessage], now: datetime) -> tuple[int, int]:
    """Record the messages (one transaction); returns (messages, recipients) new to the file.

    Recording the same Message-ID again adds the recipients not yet recorded."""
    fold = store.policy.fold_local_part
    new_messages = new_recipients = 0
    default_time = iso(now)
    with store.write() as conn:
        for m in messages:
            cur = conn.execute(_INSERT_MESSAGE, (m.message_id, m.sent_at or default_time, m.source))
            new_messages += cur.rowcount
            for r in m.recipients:
                address = normalise(r, fold_local_part=fold)[0]
                new_recipients += conn.execute(_INSERT_RECIPIENT, (m.message_id, address)).rowcount
    return new_messages, new_recipients


__all__ = ["SentFileError", "SentMessage", "read_sent_file", "record_sent", "sent_message"]
