"""SQL of `monitor_state`: key -> JSON rows (the MonitorState, requests, outcomes, the cloid salt)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from core.monitor.ledger_rules import new_cloid_salt
from storage.retrying import RetryingRepo

STATE_KEY = "state"
CLOID_SALT_KEY = "cloid_salt"


class MonitorStateRepo(RetryingRepo):
    def get_value(self, key: str) -> Any:
        rows = self.store.query("SELECT value_json FROM monitor_state WHERE key = ?", (key,))
        return json.loads(rows[0]["value_json"]) if rows else None

    def set_value(self, key: str, value: Any, now_ms: int) -> None:
        self._write(f"save {key}", lambda c: c.execute(
            "INSERT OR REPLACE INTO monitor_state (key, value_json, updated_ms) VALUES (?, ?, ?)",
            (key, json.dumps(value), now_ms)))

    def get_monitor_state(self) -> str | None:
        """The MonitorState JSON text, or None before the first cycle."""
        return self.get_value(STATE_KEY)

    def save_monitor_state(self, state_json: str, now_ms: int) -> None:
        self.set_value(STATE_KEY, state_json, now_ms)

    def cloid_salt(self) -> str:
        """The database's cloid salt, created once (core makes it; the first writer's one is kept)."""
        def create(c: sqlite3.Connection) -> str:
            c.execute("INSERT OR IGNORE INTO monitor_state (key, value_json, updated_ms) VALUES (?, ?, 0)",
                      (CLOID_SALT_KEY, json.dumps(new_cloid_salt())))
            return json.loads(c.execute("SELECT value_json FROM monitor_state WHERE key = ?",
                                        (CLOID_SALT_KEY,)).fetchone()[0])
        salt = self.get_value(CLOID_SALT_KEY)
        return salt if salt is not None else self._write("cloid salt", create)
