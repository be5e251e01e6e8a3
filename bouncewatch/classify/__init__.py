"""Classification: one decoded recipient's fields -> bounce_type, reason and the rule that
decided.  Pure.

Owns the reason vocabulary's text rules (`reasons`), the provider rules (`providers`), the
phrase matcher (`matcher`) and the decision order (`api`).

May import: `bouncewatch.model` and the floor `bouncewatch.smtp`.  Never `parse` (it gets a
`RecipientReport`, not a message), never the store, the sources, the daemon or the CLI.
"""

from bouncewatch.classify.api import classify

__all__ = ["classify"]
