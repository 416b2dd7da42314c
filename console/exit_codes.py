"""The process exit codes of every `evorisk` command (SPEC section 11): one home, imported everywhere.

Scripts and operators branch on these, so they never change meaning: 2 is always the caller's
input, 3 the exchange, 4 the local database, 1 a bug in evorisk.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BUG = 1  # an unexpected error: a traceback with --verbose, please report it
    BAD_INPUT = 2  # bad flag, file or value, or a usage error: fix the command line
    UNREACHABLE = 3  # the exchange could not be reached or answered garbage: retry later
    DB_BUSY = 4  # the SQLite database stayed locked by another process or the disk is full: retry later
    CANCELLED = 130  # ended by SIGINT (the shell's convention)


EXIT_OK = ExitCode.OK
EXIT_BUG = ExitCode.BUG
EXIT_BAD_INPUT = ExitCode.BAD_INPUT
EXIT_UNREACHABLE = ExitCode.UNREACHABLE
EXIT_DB_BUSY = ExitCode.DB_BUSY
EXIT_CANCELLED = ExitCode.CANCELLED
