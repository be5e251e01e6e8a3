"""The SQLite file other tools read: messages, events, address states and their history."""

from bouncewatch.store.database import Store
from bouncewatch.store.recorder import RecordOutcome

__all__ = ["RecordOutcome", "Store"]
