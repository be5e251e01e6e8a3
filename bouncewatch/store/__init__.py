"""The store: the SQLite file other tools read -- messages, events, address states and their
history -- and the address policy that decides the states.

Owns the schema and migrations (`schema`, `migrations`), opening the file (`database`),
recording one analysed message in one transaction (`recorder`), address spelling and the
sender's own addresses (`addresses`), the pure state machine (`policy`), and the queries the
CLI and the reports read (`queries`, `report_views`).

May import: `bouncewatch.model`, the floor `bouncewatch.smtp`, `config` and `errors`.  It takes
an analysed `ParseResult`; it never imports `parse`, `classify`, `analyze`, the sources, the
service, the daemon, the CLI or the reports.  `policy` imports only the model, the floor and
its settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bouncewatch.store.database import Store
    from bouncewatch.store.recorder import RecordOutcome


def __getattr__(name: str) -> Any:
    # `Store` and `RecordOutcome` load the database layer (sqlite-utils) on first use: the
    # settings import `store.policy`, and a command that opens no database never pays for it
    if name == "Store":
        from bouncewatch.store.database import Store

        return Store
    if name == "RecordOutcome":
        from bouncewatch.store.recorder import RecordOutcome

        return RecordOutcome
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RecordOutcome", "Store"]
