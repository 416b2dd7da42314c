"""SQL of `app_log`: the application log the console's Log tab reads (written by storage.logsetup)."""
from __future__ import annotations

from typing import Any

from storage.store import Store

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LogRepo:
    def __init__(self, store: Store):
        self.store = store

    def append_log(self, ts: str, level: str, logger: str, message: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO app_log (ts, level, logger, message) VALUES (?, ?, ?, ?)",
                         (ts, level, logger, message))

    def recent_logs(self, limit: int = 200, min_level: str | None = None, text: str | None = None
                    ) -> list[dict[str, Any]]:
        """Newest first, at `min_level` or above (every level when unknown), message containing `text`."""
        allowed = LEVELS[LEVELS.index(min_level):] if min_level in LEVELS else LEVELS
        sql = (f"SELECT * FROM app_log WHERE level IN ({','.join('?' * len(allowed))})"
               + (" AND message LIKE ?" if text else "") + " ORDER BY id DESC LIMIT ?")
        params: list[Any] = list(allowed) + ([f"%{text}%"] if text else []) + [limit]
        return self.store.query(sql, tuple(params))
