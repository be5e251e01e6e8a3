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

from bouncewatch.store.database import Store
from bouncewatch.store.recorder import RecordOutcome

__all__ = ["RecordOutcome", "Store"]
