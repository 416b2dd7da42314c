"""Named migrations, applied in order at open and recorded by name in `_migrations`.

The runner comes first, then the one ordered list of every migration (the SQL is in
schema_research.py and schema_live.py). Never edit, rename or reorder a migration that has
shipped: a database records each by name, so append a new one at the end of MIGRATIONS. A
database that records a name this code does not know was written by a newer evorisk and is
refused before anything is written.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Callable

from core.errors import BadInputError
from storage import schema_live as live
from storage import schema_research as research

Migration = Callable[[sqlite3.Connection], None]


class SchemaTooNewError(BadInputError):
    """The database records migrations this code does not know: a newer evorisk wrote it."""


def check_schema_version(conn: sqlite3.Connection, path: str = "database") -> None:
    """Refuse, without writing anything, a database whose `_migrations` names a migration we lack.

    Opening it would let old code write rows a newer schema reads differently."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    if not has_table:
        return
    known = {name for name, _ in MIGRATIONS}
    unknown = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid") if row[0] not in known]
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise SchemaTooNewError(f"{path}: written by a newer evorisk (schema version {unknown[-1]}; unknown "
                                f"migration(s) {shown}); refusing to open it: upgrade evorisk or use another --db")


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; returns the names applied."""
    check_schema_version(conn)
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


# Every migration in the order it shipped (a fresh database applies them in this order). The
# number prefixes were reserved per feature, so the order is the list's, not the numbers'.
_ORDERED: tuple[Migration, ...] = (
    research.m001_runs,
    research.m002_genomes,
    research.m003_candles,
    research.m004_app_log,
    research.m101_generations,
    research.m102_checkpoints,
    research.m103_run_workers,
    research.m201_checkpoint_quarantine,
    live.m301_monitor_state,
    live.m302_risk_snapshots,
    live.m303_breaker_events,
    live.m304_actions_and_orders,
    live.m305_promotions,
    live.m306_action_claims_and_posts,
    live.m307_monitor_leases,
    live.m1601_alerts,
    research.m1501_run_trials,
    research.m1502_run_bar_interval,
)
MIGRATIONS: list[tuple[str, Migration]] = [(fn.__name__, fn) for fn in _ORDERED]
