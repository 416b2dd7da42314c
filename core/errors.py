"""Typed errors that cross module boundaries; the CLI maps them to exit codes."""


class EvoriskError(Exception):
    """Base class for errors we expect and report as one readable line."""


class BadInputError(EvoriskError):
    """Input the user supplied is invalid (exit code 2)."""


class DataValidationError(BadInputError):
    """One or more OHLCV files failed validation; `problems` holds `PATH:ROW: what` lines."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(self.problems[0] if self.problems else "invalid data")


class GenomeError(BadInputError):
    """A genome file or vector is malformed; the message names the gene."""


class ExchangeUnavailableError(EvoriskError):
    """The exchange could not be reached or answered garbage (exit code 3)."""


class StorageUnavailableError(EvoriskError):
    """The local database stayed locked by another process, or a write failed (disk full); nothing
    was committed (exit code 4). Raised by storage, caught by core without importing storage."""
