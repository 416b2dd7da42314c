"""The base of every monitor-side repository: one transaction per write, retried while busy.

Why: the monitor and the console write the same file; a short lock is absorbed by retrying with
backoff, a long one is reported as StoreBusyError ("DB busy", exit 4) and the executor sends
nothing whose approval or intent row could not be written.
"""
from __future__ import annotations

import logging
import sqlite3
import time
from typing import Callable, TypeVar

from storage.store import Store, StoreBusyError

log = logging.getLogger("evorisk.storage.monitor")
T = TypeVar("T")
BUSY_RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.4, 0.8)  # then give up and report "DB busy"


class RetryingRepo:
    """Holds the Store and the retry schedule; the table-group repositories build on it."""

    def __init__(self, store: Store, retry_delays_s: tuple[float, ...] = BUSY_RETRY_DELAYS_S):
        self.store = store
        self.retry_delays_s = retry_delays_s
        self.busy_retries = 0  # how often a write met a locked database (shown by the CLI)

    def _write(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """One transaction, retried while the database is locked."""
        for delay in (*self.retry_delays_s, None):
            try:
                with self.store.transaction() as conn:
                    return fn(conn)
            except StoreBusyError as exc:
                if delay is None:
                    log.error("%s: database still busy, giving up: %s", what, exc)
                    raise
                self.busy_retries += 1
                log.warning("%s: database busy, retrying in %.2f s", what, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")
