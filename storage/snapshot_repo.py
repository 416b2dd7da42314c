"""SQL of `risk_snapshots` (one per cycle, pruned) and `breaker_events` (every transition)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.retrying import RetryingRepo

SNAPSHOT_KEEP_ROWS = 20_000  # ~1 week at 30 s; older snapshots are pruned


class SnapshotRepo(RetryingRepo):
    def record_snapshot(self, time_ms: int, breaker_state: str, equity_usd: float | None,
                        drawdown_ratio: float | None, data_error: str | None, snapshot: dict[str, Any]) -> None:
        body = json.dumps(snapshot, separators=(",", ":"))

        def write(c: sqlite3.Connection) -> None:
            cur = c.execute("INSERT INTO risk_snapshots (time_ms, breaker_state, equity_usd, drawdown_ratio, data_error,"
                            " snapshot_json) VALUES (?, ?, ?, ?, ?, ?)",
                            (time_ms, breaker_state, equity_usd, drawdown_ratio, data_error, body))
            c.execute("DELETE FROM risk_snapshots WHERE id <= ?", (cur.lastrowid - SNAPSHOT_KEEP_ROWS,))
        self._write("record snapshot", write)

    def latest_snapshots(self, limit: int = 1) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT snapshot_json FROM risk_snapshots ORDER BY id DESC LIMIT ?", (limit,))
        return [json.loads(row["snapshot_json"]) for row in rows]

    def latest_good_snapshot(self) -> dict[str, Any] | None:
        """The newest snapshot taken on good data (no data_error): what STALE shows after a restart."""
        rows = self.store.query("SELECT snapshot_json FROM risk_snapshots WHERE data_error IS NULL"
                                " ORDER BY id DESC LIMIT 1")
        return json.loads(rows[0]["snapshot_json"]) if rows else None

    def log_breaker_event(self, time_ms: int, from_state: str, to_state: str, drawdown_ratio: float | None,
                          reason: str, actor: str = "monitor") -> None:
        self._write("breaker event", lambda c: c.execute(
            "INSERT INTO breaker_events (time_ms, from_state, to_state, drawdown_ratio, reason, actor)"
            " VALUES (?, ?, ?, ?, ?, ?)", (time_ms, from_state, to_state, drawdown_ratio, reason, actor)))

    def breaker_events(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM breaker_events ORDER BY id DESC LIMIT ?", (limit,))[::-1]
