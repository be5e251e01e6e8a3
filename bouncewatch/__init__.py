"""bouncewatch: watch a bounce mailbox, tell senders which addresses to stop mailing and why."""

__version__ = "0.1.0"
