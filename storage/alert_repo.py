"""SQL of alerts: events, their flapping repeats and every delivery attempt (implements
core.alerts.model.AlertSink). Called from the alert threads, never from the monitor's loop."""
from __future__ import annotations

from typing import Any

from core.alerts.model import Alert
from storage.store import Store


class AlertRepo:
    def __init__(self, store: Store):
        self.store = store

    def record_alert(self, alert: Alert) -> int:
        with self.store.transaction() as c:
            cur = c.execute("INSERT INTO alert_events (time_ms, kind, severity, title, body, dedup_key)"
                            " VALUES (?, ?, ?, ?, ?, ?)", (alert.time_ms, alert.kind.value, alert.severity.value,
                                                           alert.title, alert.body, alert.dedup_key))
            return int(cur.lastrowid)

    def record_repeat(self, event_id: int, time_ms: int) -> None:
        with self.store.transaction() as c:
            c.execute("UPDATE alert_events SET repeats = repeats + 1, last_repeat_ms = ? WHERE id = ?",
                      (time_ms, event_id))

    def record_delivery(self, event_id: int, channel: str, target: str, attempt: int, status: str,
                        error: str | None, time_ms: int) -> None:
        with self.store.transaction() as c:
            c.execute("INSERT INTO alert_deliveries (event_id, channel, target, attempt, status, error, time_ms)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)", (event_id, channel, target, attempt, status, error, time_ms))

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """Newest events first, each with `deliveries`: the last attempt per channel target."""
        events = self.store.query("SELECT * FROM alert_events ORDER BY id DESC LIMIT ?", (limit,))
        if not events:
            return []
        ids = [e["id"] for e in events]
        rows = self.store.query(
            f"SELECT * FROM alert_deliveries WHERE event_id IN ({','.join('?' * len(ids))}) ORDER BY id", tuple(ids))
        last: dict[tuple[int, str, str], dict[str, Any]] = {}
        for row in rows:
            last[(row["event_id"], row["channel"], row["target"])] = row  # later attempts replace earlier
        for e in events:
            e["deliveries"] = [{"channel": ch, "target": t, "status": d["status"], "attempts": d["attempt"],
                                "error": d["error"], "time_ms": d["time_ms"]}
                               for (eid, ch, t), d in last.items() if eid == e["id"]]
        return events

    def deliveries(self, event_id: int) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM alert_deliveries WHERE event_id = ? ORDER BY id", (event_id,))
