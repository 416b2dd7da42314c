"""The schema of research data: runs, genomes, the candle cache, the app log and evolution's
logbook, checkpoints and run ownership.

Each function is one shipped migration, listed in order in storage/migrations.py; never edit or
rename one that has shipped (databases record migrations by name): add a new one instead.
"""
from __future__ import annotations

import sqlite3


# ---- runs and genomes ------------------------------------------------------------------------
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


# ---- candle cache and app log ----------------------------------------------------------------
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


# ---- evolution logbook, checkpoints and the run's writer -------------------------------------
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


def m103_run_workers(conn: sqlite3.Connection) -> None:
    """Which process is advancing a run, so a second `resume` cannot race it."""
    conn.execute("""
        CREATE TABLE run_workers (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id),
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            claimed_at TEXT NOT NULL
        )""")


def m201_checkpoint_quarantine(conn: sqlite3.Connection) -> None:
    """Corrupt checkpoints set aside when a resume falls back to an older valid one: kept for
    inspection instead of deleted, and out of the way of the recomputed generations."""
    conn.execute("""
        CREATE TABLE checkpoint_quarantine (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            generation INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            version INTEGER NOT NULL,
            state_json TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            quarantined_at TEXT NOT NULL,
            reason TEXT NOT NULL
        )""")
    conn.execute("CREATE INDEX checkpoint_quarantine_run ON checkpoint_quarantine(run_id)")


# ---- what promote checks on a run: its trials (deflated Sharpe) and its bar interval ---------
def m1501_run_trials(conn: sqlite3.Connection) -> None:
    """Distinct genomes a run has evaluated (the deflated Sharpe ratio's trial count), updated with
    every generation's checkpoint in the same transaction."""
    conn.execute("ALTER TABLE runs ADD COLUMN trials INTEGER")


def m1502_run_bar_interval(conn: sqlite3.Connection) -> None:
    """The bar interval a run evolved on ('1d', '1h', ...), so `promote` can convert or refuse."""
    conn.execute("ALTER TABLE runs ADD COLUMN bar_interval TEXT")
