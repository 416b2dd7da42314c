"""Logging to a rotating file and to the app_log table (never print from library code)."""
from __future__ import annotations

import logging
import logging.handlers
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from storage.log_repo import LogRepo
from storage.store import Store, StoreBusyError

LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 3
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
    """Route the `evorisk`, `core`, `storage` and `console` loggers; the SDK stays above DEBUG
    because it logs whole signed payloads at DEBUG.

    Called first with no file and no store (console.cli.main), so a failure before the database
    is open never falls through to logging's last-resort handler (which prints tracebacks);
    `stderr` (--verbose) shows records on stderr. A log file that cannot be opened is skipped."""
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        if getattr(h, "_evorisk", False):
            root.removeHandler(h)
            h.close()
    fmt = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.NullHandler()]  # never the last-resort handler
    if stderr:
        handlers.append(logging.StreamHandler())
    if log_path is not None:
        if store is not None and Path(store.path).resolve() == log_path.resolve():
            log_path = log_path.with_name(log_path.name + ".log")  # --db x.log: never append text to the db
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.handlers.RotatingFileHandler(log_path, maxBytes=LOG_FILE_BYTES,
                                                                 backupCount=LOG_FILE_BACKUPS))
        except OSError:
            pass  # a read-only directory: the app_log table still has the records
    for h in handlers:
        h.setFormatter(fmt)
    if store is not None:
        sh = StoreLogHandler(store)
        sh.setFormatter(logging.Formatter("%(message)s"))
        handlers.append(sh)
    for h in handlers:
        h._evorisk = True  # type: ignore[attr-defined]
        root.addHandler(h)
    logging.getLogger("hyperliquid").setLevel(logging.INFO)
    logging.getLogger("numba").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
