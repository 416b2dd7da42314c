"""SQL for evolution runs: per-generation logbook + checkpoint rows, run ownership, final genomes.

Every generation is one BEGIN IMMEDIATE transaction (stats row, checkpoint row, the run's best
fitness), so a kill -9 leaves either the whole generation or none of it. Checkpoints are JSON text
with a sha256; decoding and judging them is core's job (core.evolution.checkpoint).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from core.evolution.hall_of_fame import Champion
from core.evolution.loop import GenerationStats
from core.vocabulary import RunStatus
from storage.run_repo import RunRepo
from storage.store import Store, utc_now_iso


RUN_KIND = "evolution"  # runs.kind of the runs this repository owns


@dataclass(frozen=True)
class CheckpointRow:
    run_id: int
    generation: int
    version: int
    state_json: str
    sha256: str


@dataclass(frozen=True)
class RunWorker:
    pid: int
    host: str
    claimed_at: str


class EvolutionRepo:
    """Typed evolution persistence over a Store (implements core.evolution.runner.RunRepository)."""

    def __init__(self, store: Store):
        self.store = store
        self.runs = RunRepo(store)

    def create_run(self, config: dict[str, Any], data_fingerprint: str, data_desc: str) -> int:
        return self.runs.create_run(config, data_fingerprint, data_desc, kind=RUN_KIND)

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        return self.runs.get_run(run_id)

    def set_bar_interval(self, run_id: int, interval: str) -> None:
        """Record the bar interval the run evolves on (set once, right after create_run)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE runs SET bar_interval = ? WHERE id = ?", (interval, run_id))

    def record_generation(self, run_id: int, stats: GenerationStats, state_json: str, sha256: str,
                          version: int, trials: int | None = None) -> None:
        """Logbook row + checkpoint + runs.best_fitness, all or nothing. A duplicate generation
        (a second writer on the same run) violates the primary key and commits nothing. Not
        fsynced on every commit: a power cut can only lose checkpoints that resume recomputes
        bit for bit."""
        now = utc_now_iso()
        with self.store.transaction(durable=False) as conn:
            conn.execute(
                "INSERT INTO generations (run_id, generation, created_at, best, mean, std, min, evaluations,"
                " eval_s, evals_per_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, stats.generation, now, stats.best, stats.mean, stats.std, stats.min,
                 stats.evaluations, stats.eval_s, stats.evals_per_s))
            conn.execute(
                "INSERT INTO checkpoints (run_id, generation, created_at, version, state_json, sha256)"
                " VALUES (?, ?, ?, ?, ?, ?)", (run_id, stats.generation, now, version, state_json, sha256))
            conn.execute("UPDATE runs SET best_fitness = ?, trials = COALESCE(?, trials) WHERE id = ?",
                         (stats.best, trials, run_id))

    def latest_checkpoint(self, run_id: int) -> CheckpointRow | None:
        rows = self.store.query(
            "SELECT run_id, generation, version, state_json, sha256 FROM checkpoints"
            " WHERE run_id = ? ORDER BY generation DESC LIMIT 1", (run_id,))
        return CheckpointRow(**rows[0]) if rows else None

    def checkpoint_at(self, run_id: int, generation: int) -> CheckpointRow | None:
        rows = self.store.query(
            "SELECT run_id, generation, version, state_json, sha256 FROM checkpoints"
            " WHERE run_id = ? AND generation = ?", (run_id, generation))
        return CheckpointRow(**rows[0]) if rows else None

    def quarantine_checkpoints(self, run_id: int, after_generation: int, reason: str) -> int:
        """Move the checkpoints newer than `after_generation` to checkpoint_quarantine and drop their
        logbook rows, in one transaction, so the resumed run can write those generations again.
        Returns how many checkpoints moved."""
        with self.store.transaction() as conn:
            moved = conn.execute(
                "INSERT INTO checkpoint_quarantine (run_id, generation, created_at, version, state_json, sha256,"
                " quarantined_at, reason) SELECT run_id, generation, created_at, version, state_json, sha256, ?, ?"
                " FROM checkpoints WHERE run_id = ? AND generation > ?",
                (utc_now_iso(), reason, run_id, after_generation)).rowcount
            conn.execute("DELETE FROM checkpoints WHERE run_id = ? AND generation > ?", (run_id, after_generation))
            conn.execute("DELETE FROM generations WHERE run_id = ? AND generation > ?", (run_id, after_generation))
        return moved

    def quarantined(self, run_id: int) -> list[dict[str, Any]]:
        return self.store.query("SELECT generation, sha256, quarantined_at, reason FROM checkpoint_quarantine"
                                " WHERE run_id = ? ORDER BY id", (run_id,))

    def hall_of_fame(self, run_id: int) -> list[Champion]:
        """The genomes `finish_run` saved for the run, best first (empty until it finishes)."""
        rows = self.store.query(
            "SELECT genes_json, fitness FROM genomes WHERE run_id = ? AND json_extract(metrics_json, '$.rank')"
            " IS NOT NULL ORDER BY json_extract(metrics_json, '$.rank')", (run_id,))
        return [Champion(tuple(float(g) for g in json.loads(r["genes_json"])), float(r["fitness"])) for r in rows]

    def checkpoint_generations(self, run_id: int) -> list[int]:
        rows = self.store.query("SELECT generation FROM checkpoints WHERE run_id = ? ORDER BY generation",
                                (run_id,))
        return [r["generation"] for r in rows]

    def generations(self, run_id: int) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM generations WHERE run_id = ? ORDER BY generation", (run_id,))

    def worker(self, run_id: int) -> RunWorker | None:
        rows = self.store.query("SELECT pid, host, claimed_at FROM run_workers WHERE run_id = ?", (run_id,))
        return RunWorker(**rows[0]) if rows else None

    def claim_run(self, run_id: int, pid: int, host: str,
                  holder_alive: Callable[[RunWorker], bool]) -> RunWorker | None:
        """Become the run's only writer and mark it running; returns the live holder instead when
        another process still owns it (checked and claimed in one transaction, so two resumes
        cannot both win)."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT pid, host, claimed_at FROM run_workers WHERE run_id = ?",
                               (run_id,)).fetchone()
            if row is not None:
                holder = RunWorker(*row)
                if (holder.pid, holder.host) != (pid, host) and holder_alive(holder):
                    return holder
            conn.execute("INSERT OR REPLACE INTO run_workers (run_id, pid, host, claimed_at) VALUES (?, ?, ?, ?)",
                         (run_id, pid, host, utc_now_iso()))
            conn.execute("UPDATE runs SET status = ?, finished_at = NULL WHERE id = ?", (RunStatus.RUNNING, run_id))
        return None

    def release_run(self, run_id: int, status: RunStatus) -> None:
        """Leave the run as cancelled or failed (resumable) and drop our claim."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", (status, utc_now_iso(), run_id))
            conn.execute("DELETE FROM run_workers WHERE run_id = ?", (run_id,))

    def finish_run(self, run_id: int, champions: Sequence[Champion]) -> None:
        """Status finished, best fitness, and the hall of fame saved as genomes, in one transaction."""
        now = utc_now_iso()
        with self.store.transaction() as conn:
            for rank, champ in enumerate(champions, start=1):
                conn.execute(
                    "INSERT INTO genomes (created_at, run_id, genes_json, fitness, label, metrics_json)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (now, run_id, json.dumps([float(g) for g in champ.genes]), champ.fitness,
                     f"run {run_id} hall of fame #{rank}", json.dumps({"rank": rank})))
            best = champions[0].fitness if champions else None
            conn.execute("UPDATE runs SET status = ?, finished_at = ?, best_fitness = COALESCE(?, best_fitness)"
                         " WHERE id = ?", (RunStatus.FINISHED, now, best, run_id))
            conn.execute("DELETE FROM run_workers WHERE run_id = ?", (run_id,))

    def run_summaries(self, limit: int = 100) -> list[dict[str, Any]]:
        """Evolution runs, newest first, with generations done and the current worker if any."""
        return self.store.query(
            "SELECT r.id, r.status, r.created_at, r.finished_at, r.best_fitness, r.config_json, r.data_desc,"
            " r.bar_interval, r.trials,"
            " (SELECT MAX(generation) FROM generations g WHERE g.run_id = r.id) AS last_generation,"
            " w.pid AS worker_pid, w.host AS worker_host"
            " FROM runs r LEFT JOIN run_workers w ON w.run_id = r.id"
            " WHERE r.kind = ? ORDER BY r.id DESC LIMIT ?", (RUN_KIND, limit))
