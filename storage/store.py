"""The Store: typed methods over one SQLite file (sqlite-utils), safe to share between threads.

WAL lets the console read while a worker writes; a busy timeout absorbs short lock contention and
turns long contention into StoreBusyError, which callers show as "DB busy" instead of crashing.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils

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
    from platformdirs import user_data_dir

    return Path(user_data_dir("evorisk", appauthor=False)) / "evorisk.db"


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Store:
    """All persistence goes through here; no caller touches tables directly."""

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

    # ---- runs and genomes --------------------------------------------------------------------
    def create_run(self, config: dict[str, Any], data_fingerprint: str, data_desc: str = "",
                   kind: str = "evolution") -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (created_at, kind, status, config_json, data_fingerprint, data_desc)"
                " VALUES (?, ?, 'running', ?, ?, ?)",
                (utc_now_iso(), kind, json.dumps(config, sort_keys=True), data_fingerprint, data_desc))
            return int(cur.lastrowid)

    def set_run_status(self, run_id: int, status: str, best_fitness: float | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, best_fitness = COALESCE(?, best_fitness),"
                " finished_at = CASE WHEN ? IN ('finished', 'failed', 'cancelled') THEN ? ELSE finished_at END"
                " WHERE id = ?", (status, best_fitness, status, utc_now_iso(), run_id))

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def list_runs(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))

    def save_genome(self, genes: list[float], fitness: float | None = None, run_id: int | None = None,
                    label: str = "", metrics: dict[str, Any] | None = None) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO genomes (created_at, run_id, genes_json, fitness, label, metrics_json)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (utc_now_iso(), run_id, json.dumps([float(g) for g in genes]), fitness, label,
                 json.dumps(metrics or {}, sort_keys=True)))
            return int(cur.lastrowid)

    def get_genome(self, genome_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM genomes WHERE id = ?", (genome_id,))
        if not rows:
            return None
        row = rows[0]
        row["genes"] = json.loads(row.pop("genes_json"))
        row["metrics"] = json.loads(row.pop("metrics_json"))
        return row

    # ---- candles -----------------------------------------------------------------------------
    def upsert_candles(self, source: str, coin: str, interval: str, rows: list[tuple]) -> int:
        """rows: (t_ms, open, high, low, close, volume); all written in one transaction or none."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO candles (source, coin, interval, t_ms, open, high, low, close, volume)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(source, coin, interval, *r) for r in rows])
        return len(rows)

    def candles(self, source: str, coin: str, interval: str) -> list[tuple]:
        with self._lock:
            return list(self.db.conn.execute(
                "SELECT t_ms, open, high, low, close, volume FROM candles"
                " WHERE source = ? AND coin = ? AND interval = ? ORDER BY t_ms", (source, coin, interval)))

    def candle_summary(self) -> list[dict[str, Any]]:
        return self.query(
            "SELECT source, coin, interval, MIN(t_ms) AS first_ms, MAX(t_ms) AS last_ms, COUNT(*) AS rows"
            " FROM candles GROUP BY source, coin, interval ORDER BY source, coin, interval")

    # ---- app log -----------------------------------------------------------------------------
    def append_log(self, ts: str, level: str, logger: str, message: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO app_log (ts, level, logger, message) VALUES (?, ?, ?, ?)",
                         (ts, level, logger, message))

    def recent_logs(self, limit: int = 200, min_level: str | None = None, text: str | None = None
                    ) -> list[dict[str, Any]]:
        levels = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
        allowed = levels[levels.index(min_level):] if min_level in levels else levels
        sql = (f"SELECT * FROM app_log WHERE level IN ({','.join('?' * len(allowed))})"
               + (" AND message LIKE ?" if text else "") + " ORDER BY id DESC LIMIT ?")
        params: list[Any] = list(allowed) + ([f"%{text}%"] if text else []) + [limit]
        return self.query(sql, tuple(params))
