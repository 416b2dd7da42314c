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


# ---- walk-forward report (issue 5, part 2): m2xx ----
@migration
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


# ---- live monitor (issue 7): m3xx ----------------------------------------------------------------
@migration
def m301_monitor_state(conn: sqlite3.Connection) -> None:
    """Key -> JSON: the monitor's state (high-water mark, breaker, tracks), the cloid salt, requests."""
    conn.execute("CREATE TABLE monitor_state (key TEXT PRIMARY KEY, value_json TEXT NOT NULL, updated_ms INTEGER NOT NULL)")


@migration
def m302_risk_snapshots(conn: sqlite3.Connection) -> None:
    conn.execute("""
        CREATE TABLE risk_snapshots (
            id INTEGER PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            breaker_state TEXT NOT NULL,
            equity_usd REAL,
            drawdown_ratio REAL,
            data_error TEXT,
            snapshot_json TEXT NOT NULL
        )""")
    conn.execute("CREATE INDEX risk_snapshots_time ON risk_snapshots(time_ms)")


@migration
def m303_breaker_events(conn: sqlite3.Connection) -> None:
    """Every breaker transition, STALE and operator resets included."""
    conn.execute("""
        CREATE TABLE breaker_events (
            id INTEGER PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            drawdown_ratio REAL,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL
        )""")


@migration
def m304_actions_and_orders(conn: sqlite3.Connection) -> None:
    """Pending actions, the decisions on them, the orders they sent (cloid first) and their fills."""
    conn.execute("""
        CREATE TABLE pending_actions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL,
            reason TEXT NOT NULL,
            orders_json TEXT NOT NULL,
            cancels_json TEXT NOT NULL,
            intent_hash TEXT NOT NULL,
            auto_approved_by TEXT,
            status_ms INTEGER NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )""")
    conn.execute("""
        CREATE TABLE approvals (
            id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL UNIQUE REFERENCES pending_actions(id),
            decision TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            decided_ms INTEGER NOT NULL,
            intent_hash TEXT NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE orders (
            cloid TEXT PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES pending_actions(id),
            leg INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            coin TEXT NOT NULL,
            is_buy INTEGER NOT NULL,
            size REAL NOT NULL,
            limit_px REAL NOT NULL,
            trigger_px REAL,
            request_json TEXT NOT NULL,
            status TEXT NOT NULL,
            filled_size REAL NOT NULL DEFAULT 0,
            avg_px REAL,
            oid INTEGER,
            error TEXT,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (action_id, leg, attempt)
        )""")
    conn.execute("""
        CREATE TABLE fills (
            id INTEGER PRIMARY KEY,
            cloid TEXT NOT NULL REFERENCES orders(cloid),
            action_id INTEGER NOT NULL,
            coin TEXT NOT NULL,
            size REAL NOT NULL,
            px REAL,
            time_ms INTEGER NOT NULL
        )""")


@migration
def m305_promotions(conn: sqlite3.Connection) -> None:
    """Which genome the monitor runs: the newest row is active; restoring appends a copy."""
    conn.execute("""
        CREATE TABLE promotions (
            id INTEGER PRIMARY KEY,
            promoted_ms INTEGER NOT NULL,
            promoted_by TEXT NOT NULL,
            genome_id INTEGER,
            run_id INTEGER,
            genes_json TEXT NOT NULL,
            label TEXT NOT NULL,
            oos_metrics_json TEXT NOT NULL DEFAULT '{}',
            restored_from INTEGER
        )""")


# ---- exactly once per cloid, one monitor per account (issue 20): m306+ -------------------------
@migration
def m306_action_claims_and_posts(conn: sqlite3.Connection) -> None:
    """Who executes an approved action (owner + lease expiry), and every POST of every cloid.

    `orders.in_flight_until_ms` is the latest moment a POST of that cloid may still reach the venue
    (its signed `expiresAfter`); until then an `unknownOid` answer proves nothing. `order_posts`
    keeps one row per POST with the outcome recorded for that attempt.
    """
    conn.execute("ALTER TABLE pending_actions ADD COLUMN claim_owner TEXT")
    conn.execute("ALTER TABLE pending_actions ADD COLUMN claim_expires_ms INTEGER")
    conn.execute("ALTER TABLE orders ADD COLUMN posts INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE orders ADD COLUMN last_post_ms INTEGER")
    conn.execute("ALTER TABLE orders ADD COLUMN in_flight_until_ms INTEGER")
    conn.execute("""
        CREATE TABLE order_posts (
            id INTEGER PRIMARY KEY,
            cloid TEXT NOT NULL REFERENCES orders(cloid),
            post_no INTEGER NOT NULL,
            owner TEXT NOT NULL,
            sent_ms INTEGER NOT NULL,
            in_flight_until_ms INTEGER NOT NULL,
            size REAL NOT NULL,
            limit_px REAL NOT NULL,
            outcome TEXT,
            detail TEXT,
            outcome_ms INTEGER,
            UNIQUE (cloid, post_no)
        )""")
    # Intent rows of the previous code carry no signed expiry: treat them as in flight for a minute.
    conn.execute("UPDATE orders SET in_flight_until_ms = updated_ms + 60000 WHERE status = 'intent'")


@migration
def m307_monitor_leases(conn: sqlite3.Connection) -> None:
    """The one monitor allowed to propose and send for an account in this database: heartbeat and pid."""
    conn.execute("""
        CREATE TABLE monitor_leases (
            account TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_ms INTEGER NOT NULL,
            heartbeat_ms INTEGER NOT NULL,
            expires_ms INTEGER NOT NULL
        )""")
