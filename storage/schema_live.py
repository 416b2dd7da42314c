"""The schema of the live monitor: its state, snapshots and breaker events, actions with their
approvals, orders, POSTs and fills, executor claims, monitor leases, promotions and alerts.

Each function is one shipped migration, listed in order in storage/migrations.py; never edit or
rename one that has shipped (databases record migrations by name): add a new one instead.
"""
from __future__ import annotations

import sqlite3


# ---- monitor state, snapshots and breaker events ---------------------------------------------
def m301_monitor_state(conn: sqlite3.Connection) -> None:
    """Key -> JSON: the monitor's state (high-water mark, breaker, tracks), the cloid salt, requests."""
    conn.execute("CREATE TABLE monitor_state (key TEXT PRIMARY KEY, value_json TEXT NOT NULL, updated_ms INTEGER NOT NULL)")


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


# ---- actions, approvals, orders and fills; promotions ----------------------------------------
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


# ---- exactly once per cloid, one monitor per account -----------------------------------------
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


# ---- alerts and their deliveries -------------------------------------------------------------
def m1601_alerts(conn: sqlite3.Connection) -> None:
    """One row per alert event (a flapping repeat only bumps `repeats`) and one per delivery
    attempt. `target` is always the redacted form of a notification URL, never the URL."""
    conn.execute("""
        CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            time_ms INTEGER NOT NULL,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            repeats INTEGER NOT NULL DEFAULT 0,
            last_repeat_ms INTEGER
        )""")
    conn.execute("CREATE INDEX alert_events_time ON alert_events(time_ms)")
    conn.execute("""
        CREATE TABLE alert_deliveries (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES alert_events(id),
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            time_ms INTEGER NOT NULL
        )""")
    conn.execute("CREATE INDEX alert_deliveries_event ON alert_deliveries(event_id)")
