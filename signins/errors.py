"""One small exception family per concern; each message names its place."""


class SigninsError(Exception):
    """Base class: an error the CLI reports in one line, without a traceback."""

    exit_code = 1


class StoreError(SigninsError):
    """The database cannot be opened, migrated or written."""

    exit_code = 3


class IngestError(SigninsError):
    """A whole input cannot be read (missing path, unreadable file)."""

    exit_code = 4
