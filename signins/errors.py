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


class GateFailed(SigninsError):
    """A run's data failed a validation gate: the store was left as it was before the run."""

    exit_code = 9

    def __init__(self, message: str, report: object = None):
        super().__init__(message)
        self.report = report  # what the gates found, for the run to save
