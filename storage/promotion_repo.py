"""SQL of `promotions`: which genome the monitor runs (the newest row is active; restoring appends)."""
from __future__ import annotations

import json
from typing import Any

from storage.retrying import RetryingRepo


class PromotionRepo(RetryingRepo):
    def promote(self, genes: list[float], label: str, by: str, now_ms: int, genome_id: int | None = None,
                run_id: int | None = None, oos_metrics: dict[str, Any] | None = None,
                restored_from: int | None = None) -> int:
        """Append a promotion; the newest row is the active genome."""
        return int(self._write("promote", lambda c: c.execute(
            "INSERT INTO promotions (promoted_ms, promoted_by, genome_id, run_id, genes_json, label, oos_metrics_json,"
            " restored_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now_ms, by, genome_id, run_id, json.dumps([float(g) for g in genes]), label,
             json.dumps(oos_metrics or {}, sort_keys=True), restored_from)).lastrowid))

    def promotions(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM promotions ORDER BY id DESC LIMIT ?", (limit,))
        for row in rows:
            row["genes"] = json.loads(row.pop("genes_json"))
            row["oos_metrics"] = json.loads(row.pop("oos_metrics_json"))
        return rows

    def active_promotion(self) -> dict[str, Any] | None:
        rows = self.promotions(1)
        return rows[0] if rows else None
