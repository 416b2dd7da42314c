"""SQL of `runs` and `genomes`: every run (evolution and others) and every saved genome.

Run status values are core.vocabulary.RunStatus; the terminal ones stamp `finished_at`.
"""
from __future__ import annotations

import json
from typing import Any

from core.vocabulary import RunStatus
from storage.store import Store, utc_now_iso

TERMINAL_RUN_STATUSES = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELLED)  # these stamp finished_at


class RunRepo:
    def __init__(self, store: Store):
        self.store = store

    def create_run(self, config: dict[str, Any], data_fingerprint: str, data_desc: str = "",
                   kind: str = "evolution") -> int:
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO runs (created_at, kind, status, config_json, data_fingerprint, data_desc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (utc_now_iso(), kind, RunStatus.RUNNING, json.dumps(config, sort_keys=True), data_fingerprint,
                 data_desc))
            return int(cur.lastrowid)

    def set_run_status(self, run_id: int, status: str, best_fitness: float | None = None) -> None:
        with self.store.transaction() as conn:
            finished_at = utc_now_iso() if status in TERMINAL_RUN_STATUSES else None
            conn.execute("UPDATE runs SET status = ?, best_fitness = COALESCE(?, best_fitness),"
                         " finished_at = COALESCE(?, finished_at) WHERE id = ?",
                         (status, best_fitness, finished_at, run_id))

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def list_runs(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))

    def save_genome(self, genes: list[float], fitness: float | None = None, run_id: int | None = None,
                    label: str = "", metrics: dict[str, Any] | None = None) -> int:
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO genomes (created_at, run_id, genes_json, fitness, label, metrics_json)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (utc_now_iso(), run_id, json.dumps([float(g) for g in genes]), fitness, label,
                 json.dumps(metrics or {}, sort_keys=True)))
            return int(cur.lastrowid)

    def get_genome(self, genome_id: int) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM genomes WHERE id = ?", (genome_id,))
        if not rows:
            return None
        row = rows[0]
        row["genes"] = json.loads(row.pop("genes_json"))
        row["metrics"] = json.loads(row.pop("metrics_json"))
        return row
