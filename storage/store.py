"""The Store: one SQLite connection (sqlite-utils), its transactions and the schema, shared by threads.

Each table group's SQL lives in its own repository (run_repo, candle_repo, log_repo,
evolution_repo, alert_repo and the monitor's repositories), built over a Store. WAL lets the
console read while a worker writes; a busy timeout absorbs short lock contention and turns long
contention into StoreBusyError, which callers show as "DB busy" (exit 4) instead of crashing.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils
from platformdirs import user_data_dir

from core.errors import StorageUnavailableError
from storage.migrations import apply_migrations, check_schema_version

BUSY_TIMEOUT_MS = 5000  # wait this long for another writer before reporting "DB busy"


class StoreBusyError(StorageUnavailableError, RuntimeError):
    """The database stayed locked or failed to write (busy, disk full); nothing was committed.

    A StorageUnavailableError so core (the monitor) can catch it without importing storage, and
    the CLI exits 4 for it."""


def default_db_path() -> Path:
    env = os.environ.get("EVORISK_DB")
    if env:
        return Path(env)
    return Path(user_data_dir("evorisk", appauthor=False)) / "evorisk.db"


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Store:
    """The connection every repository writes through; no caller outside storage/ writes SQL."""

    def __init__(self, path: str | Path = ":memory:", busy_timeout_ms: int = BUSY_TIMEOUT_MS):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=busy_timeout_ms / 1000, check_same_thread=False,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.RLock()
        self.db = sqlite_utils.Database(conn)
        try:
            check_schema_version(conn, self.path)  # a newer evorisk's database: refused before any write
            if self.path != ":memory:":
                self.db.enable_wal()
            with self._lock:
                self.applied_migrations = apply_migrations(conn)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One logical write: BEGIN IMMEDIATE ... COMMIT, rolled back on any error.

        `durable=False` commits with synchronous=NORMAL: under WAL a killed process still loses
        nothing, only a power cut may drop this last commit. Only for rows that can be recomputed
        exactly (evolution checkpoints: resume is bit-identical); approvals and orders stay FULL.
        """
        with self._lock:
            conn = self.db.conn
            if not durable:
                conn.execute("PRAGMA synchronous = NORMAL")
            try:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    raise StoreBusyError(f"database busy: {exc}") from exc
                try:
                    yield conn
                    conn.execute("COMMIT")
                except sqlite3.OperationalError as exc:  # busy, locked, disk full: nothing is kept
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise StoreBusyError(f"database write failed: {exc}") from exc
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                if not durable:
                    conn.execute("PRAGMA synchronous = FULL")

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params))

    # ---- schema info -------------------------------------------------------------------------
    def table_names(self) -> list[str]:
        with self._lock:
            return self.db.table_names()

    def migration_names(self) -> list[str]:
        return [r["name"] for r in self.query("SELECT name FROM _migrations ORDER BY rowid")]
