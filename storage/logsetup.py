"""Logging to a rotating file and to the app_log table (never print from library code)."""
from __future__ import annotations

import logging
import logging.handlers
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from core.log_routing import route_logging
from storage.log_repo import LogRepo
from storage.store import Store, StoreBusyError

LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 3


class StoreLogHandler(logging.Handler):
    """Writes records to app_log; a busy or full database must never break the caller or print.

    While the database refuses writes, records are counted, not retried one by one (each try
    would wait out the busy timeout), and nothing reaches stderr: logging's default handleError
    prints "--- Logging error ---" with a traceback, which would bury the one line the monitor
    prints for the episode. When a write succeeds again, one row says how many were dropped; the
    rotating log file keeps them all."""

    RETRY_AFTER_S = 10.0  # after a failed write, skip the database for this long

    def __init__(self, store: Store, level: int = logging.INFO, clock: Callable[[], float] = time.monotonic):
        super().__init__(level)
        self.store = store
        self.rows = LogRepo(store)
        self.dropped = 0  # records not written in the current episode
        self.dropped_total = 0
        self.last_error: str | None = None
        self._clock = clock
        self._skip_until = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if self.dropped and self._clock() < self._skip_until:
            self._drop(None)
            return
        try:
            ts = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            message = self.format(record)
            if self.dropped:
                note = (f"{self.dropped} log record(s) were not stored in app_log while the database refused "
                        f"writes ({self.last_error}); the log file has them")
                self.rows.append_log(ts, "WARNING", "evorisk.logging", note)
                self.dropped, self.last_error = 0, None
            self.rows.append_log(ts, record.levelname, record.name, message)
        except (StoreBusyError, sqlite3.Error, ValueError, OSError) as exc:
            self._drop(exc)

    def _drop(self, exc: BaseException | None) -> None:
        self.dropped += 1
        self.dropped_total += 1
        if exc is not None:
            self.last_error = " ".join(str(exc).split())
            self._skip_until = self._clock() + self.RETRY_AFTER_S

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Never print a traceback for a record we could not store: count it instead."""
        self._drop(None)


def configure_logging(log_path: Path | None, store: Store | None, level: int = logging.INFO,
                      stderr: bool = False) -> None:
    """Route the `evorisk`, `core`, `storage` and `console` loggers (core.log_routing) to the log
    file and the app_log table; `stderr` (--verbose) shows records on stderr too. A log file that
    cannot be opened is skipped."""
    files: list[logging.Handler] = []
    if log_path is not None:
        if store is not None and Path(store.path).resolve() == log_path.resolve():
            log_path = log_path.with_name(log_path.name + ".log")  # --db x.log: never append text to the db
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            files.append(logging.handlers.RotatingFileHandler(log_path, maxBytes=LOG_FILE_BYTES,
                                                              backupCount=LOG_FILE_BACKUPS))
        except OSError:
            pass  # a read-only directory: the app_log table still has the records
    rows: list[logging.Handler] = []
    if store is not None:
        rows.append(StoreLogHandler(store))
        rows[0].setFormatter(logging.Formatter("%(message)s"))
    route_logging(level, stderr, formatted=files, preformatted=rows)
