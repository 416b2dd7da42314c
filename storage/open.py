"""Opening the --db file: anything that is not a database we can use is refused in one line.

A directory, a FIFO, random bytes, a truncated file, a read-only or immutable file: exit 2 with
the path and the reason. A database another process keeps locked is StoreBusyError (exit 4):
not the caller's input, retry later.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from core.errors import BadInputError
from core.files import regular_file_problem
from storage.store import BUSY_TIMEOUT_MS, Store, StoreBusyError

SQLITE_HEADER = b"SQLite format 3\x00"

def _busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return "is read-only (or on a read-only file system); evorisk needs to write its database"
    if "unable to open" in text:
        return "cannot be opened for writing (read-only directory or file system, or missing permission)"
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return "is not a usable SQLite database (damaged, truncated or another kind of file)"
    if "disk is full" in text or "disk i/o" in text:
        return f"cannot be written ({exc})"
    return f"cannot be used ({exc})"


def classify_sqlite_error(path: str | os.PathLike | None, exc: sqlite3.Error) -> tuple[bool, str]:
    """(busy?, one line) for an sqlite3 error met outside Store.transaction; busy is retryable."""
    where = f"--db {path}" if path else "the database"
    if _busy(exc):
        return True, f"{where}: database busy ({exc}); nothing was written, retry later"
    return False, f"{where} {_reason(exc)}"


def open_store_checked(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Store:
    """Store(path), or BadInputError / StoreBusyError naming the path and what is wrong with it."""
    if path.exists() or path.is_symlink():
        problem = regular_file_problem(path)  # stat, never open: a FIFO must not block us
        if problem is not None:
            raise BadInputError(f"--db {path}: {problem} (a SQLite database)")
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise BadInputError(f"--db {path}: cannot read ({exc.strerror})") from None
        if head and head != SQLITE_HEADER:
            raise BadInputError(f"--db {path}: not a SQLite database (the file starts with other bytes)")
        if not os.access(path, os.W_OK):  # read-only, immutable (chattr +i) or on a read-only mount
            raise BadInputError(f"--db {path} {_reason(sqlite3.OperationalError('readonly'))}")
    elif path.parent.exists() and not path.parent.is_dir():
        raise BadInputError(f"--db {path}: {path.parent} is not a directory")
    try:
        return Store(path, busy_timeout_ms=busy_timeout_ms)
    except sqlite3.Error as exc:
        if _busy(exc):
            raise StoreBusyError(f"--db {path}: database busy at open ({exc})") from None
        raise BadInputError(f"--db {path} {_reason(exc)}") from None
    except OSError as exc:  # the parent directory cannot be created
        raise BadInputError(f"--db {path}: cannot create its directory ({exc.strerror})") from None
