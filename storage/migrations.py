"""Append-only named migrations, applied in order at open and recorded in `_migrations`.

Never edit or reorder a migration that has shipped: add a new one at the end.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_runs(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'evolution',
            status TEXT NOT NULL,
            config_json TEXT NOT NULL,
            data_fingerprint TEXT NOT NULL,
            data_desc TEXT NOT NULL DEFAULT '',
            finished_at TEXT,
            best_fitness REAL,
            note TEXT
        )""")


@migration
def m002_genomes(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE genomes (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            genes_json TEXT NOT NULL,
            fitness REAL,
            label TEXT NOT NULL DEFAULT '',
            metrics_json TEXT NOT NULL DEFAULT '{}'
        )""")
    conn.execute("CREATE INDEX genomes_run ON genomes(run_id)")


@migration
def m003_candles(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE candles (
            source TEXT NOT NULL,
            coin TEXT NOT NULL,
            interval TEXT NOT NULL,
            t_ms INTEGER NOT NULL,
            open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL,
            volume REAL NOT NULL,
            PRIMARY KEY (source, coin, interval, t_ms)
        ) WITHOUT ROWID""")


@migration
def m004_app_log(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE app_log (
            id INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            level TEXT NOT NULL,
            logger TEXT NOT NULL,
            message TEXT NOT NULL
        )""")
    conn.execute("CREATE INDEX app_log_ts ON app_log(ts)")


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; returns the names applied."""
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            fn(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                         (name, datetime.now(timezone.utc).isoformat()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


# ---- evolution (issue 5): numbered m1xx so they never clash with other features' migrations ----
@migration
def m101_generations(conn: sqlite3.Connection) -> None:
    """One logbook row per completed generation, written with its checkpoint in one transaction."""
    conn.execute("""
        CREATE TABLE generations (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            generation INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            best REAL NOT NULL,
            mean REAL NOT NULL,
            std REAL NOT NULL,
            min REAL NOT NULL,
            evaluations INTEGER NOT NULL,
            eval_s REAL NOT NULL,
            evals_per_s REAL NOT NULL,
            PRIMARY KEY (run_id, generation)
        )""")


@migration
def m102_checkpoints(conn: sqlite3.Connection) -> None:
    """JSON resume state per generation; sha256 detects truncation or a flipped byte."""
    conn.execute("""
        CREATE TABLE checkpoints (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            generation INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            version INTEGER NOT NULL,
            state_json TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (run_id, generation)
        )""")


@migration
def m103_run_workers(conn: sqlite3.Connection) -> None:
    """Which process is advancing a run, so a second `resume` cannot race it."""
    conn.execute("""
        CREATE TABLE run_workers (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id),
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            claimed_at TEXT NOT NULL
        )""")
