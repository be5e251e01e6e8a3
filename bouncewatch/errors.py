"""One base exception; callers can catch BouncewatchError for everything the project raises."""


class BouncewatchError(Exception):
    """Base of every error bouncewatch raises on purpose."""


class ConfigError(BouncewatchError):
    """The configuration file is missing, unreadable or invalid (the message names the key)."""


class StoreError(BouncewatchError):
    """The database file cannot be opened, is corrupt, foreign, or of a newer schema."""


class StoreBusyError(StoreError):
    """Another process held the database locked longer than the busy timeout: try later."""


class SourceError(BouncewatchError):
    """A message source (IMAP, Maildir, mbox, file) cannot be read."""


class AuthenticationError(SourceError):
    """The IMAP server refused the credentials: retrying will not help."""
