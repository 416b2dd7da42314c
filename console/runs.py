"""Evolution runs as the console needs them; called from thread workers only (SQLite, numba)."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from storage import Store


def run_rows(store: Store) -> list[dict[str, Any]]:
    """Runs with displayed status (killed runs show as interrupted), newest first."""
    from core.evolution import displayed_status
    from storage.evolution_repo import EvolutionRepo, RunWorker

    rows = []
    for r in EvolutionRepo(store).run_summaries():
        worker = RunWorker(r["worker_pid"], r["worker_host"], "") if r["worker_pid"] is not None else None
        try:
            total = json.loads(r["config_json"])["evolution"]["generations"]
        except (json.JSONDecodeError, KeyError, TypeError):
            total = None
        rows.append({"id": r["id"], "status": displayed_status(r["status"], worker),
                     "generations_done": r["last_generation"], "generations_total": total,
                     "best_fitness": r["best_fitness"], "created_at": r["created_at"], "data": r["data_desc"]})
    return rows


def drive_evolution(store: Store, paths: list[str], population: int, generations: int, seed: int,
                    resume_run_id: int | None, on_progress: Callable[[Any], None],
                    stop: threading.Event) -> tuple[int, str]:
    """Start (or resume) a run and advance it until done or `stop` is set; returns (run id, status)."""
    from core.evolution import EvolutionConfig, create_run, execute_run, run_data_paths
    from core.evolution.evaluator import make_evaluator
    from storage.evolution_repo import EvolutionRepo

    repo = EvolutionRepo(store)
    if resume_run_id is None:
        config = EvolutionConfig(population_size=population, generations=generations, seed=seed)
        evaluate, fingerprint, description = make_evaluator(paths)
        run_id = create_run(repo, config, fingerprint, description,
                            data_paths=[str(Path(p).resolve()) for p in paths])
    else:
        run_id = resume_run_id
        evaluate, fingerprint, _ = make_evaluator(run_data_paths(repo, run_id))
    outcome = execute_run(repo, run_id, evaluate, fingerprint, on_progress=on_progress, should_stop=stop)
    return run_id, outcome.status


@dataclass(frozen=True)
class PromotionCandidate:
    run_id: int
    genes: list[float]
    fitness: float | None
    params: Any  # core.genome.RiskParams
    live_params: Any
    live_label: str
    oos_metrics: dict[str, Any]


def promotion_candidate(store: Store, run_id: int) -> PromotionCandidate:
    """The run's best genome beside the live one, with whatever out-of-sample evidence exists."""
    from core.genome import decode
    from storage.evolution_repo import EvolutionRepo

    from console.live import active_genome

    champions = EvolutionRepo(store).hall_of_fame(run_id)
    best = champions[0]
    live_genes, live_label = active_genome(store)
    return PromotionCandidate(run_id, list(best.genes), best.fitness, decode(best.genes), decode(live_genes),
                              live_label, {"train_fitness": best.fitness})


def record_promotion(store: Store, run_id: int, cand: PromotionCandidate, operator: str) -> int:
    from console.live import promote_genes

    return promote_genes(store, cand.genes, run_id=run_id, operator=operator, metrics=cand.oos_metrics)
