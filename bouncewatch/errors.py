"""One base exception; callers can catch BouncewatchError for everything the project raises."""


class BouncewatchError(Exception):
    """Base of every error bouncewatch raises on purpose."""


class ConfigError(BouncewatchError):
    """The configuration file is missing, unreadable or invalid (the message names the key).

    `problems` holds every problem found (one line each, each naming its key); the message
    joins them."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems) if problems else [message]


class StoreError(BouncewatchError):
    """The database file cannot be opened, is corrupt, foreign, or of a newer schema."""


class StoreDamagedError(StoreError):
    """SQLite found the database file damaged (a malformed page): a restart will not help."""


class StoreWriteError(StoreError):
    """Recording failed (disk full, I/O error) and the batch was rolled back: try later."""


class StoreBusyError(StoreError):
    """Another process held the database locked longer than the busy timeout: try later."""


class SourceError(BouncewatchError):
    """A message source (IMAP, Maildir, mbox, file) cannot be read."""


class AuthenticationError(SourceError):
    """The IMAP server refused the credentials: retrying will not help."""


class CertificateError(SourceError):
    """The server's TLS certificate is not trusted: a configuration problem (ca_file, host)."""
