"""Evolution runs for `evorisk runs`/`evolve`/`resume` and the console's Evolution and Runs tabs:
listing, driving a run, and the promotion candidate with its evidence. Called from thread workers
only in the console (SQLite, numba)."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Callable

from console.services.promotions import active_genome, promote_genes
from console.services.report import oos_evidence, run_report
from console.services.run_setup import PreparedRun, resume_run, start_run
from core.errors import BadInputError
from core.evolution import EvolutionConfig, best_champion, displayed_status, execute_run, stored_config
from core.evolution.cluster import ClusterInfo, check_cluster, cluster_evaluation
from core.evolution.loop import GenerationReport
from core.evolution.runner import RunOutcome
from core.genome import RiskParams, decode
from core.market.interval import promotion_note
from storage import Store
from storage.evolution_repo import EvolutionRepo, RunWorker
from storage.run_repo import RunRepo


def run_rows(store: Store) -> list[dict[str, Any]]:
    """Runs with displayed status (killed runs show as interrupted), newest first."""
    rows = []
    for r in EvolutionRepo(store).run_summaries():
        worker = RunWorker(r["worker_pid"], r["worker_host"], "") if r["worker_pid"] is not None else None
        try:
            evolution = json.loads(r["config_json"])["evolution"]
            total = evolution["generations"]
        except (json.JSONDecodeError, KeyError, TypeError):
            evolution, total = {}, None
        rows.append({"id": r["id"], "status": displayed_status(r["status"], worker),
                     "generations_done": r["last_generation"], "generations_total": total,
                     "best_fitness": r["best_fitness"], "created_at": r["created_at"], "data": r["data_desc"],
                     "bar_interval": r["bar_interval"], "trials": r["trials"],
                     "fitness": evolution.get("fitness", "dn"), "folds": evolution.get("folds", 0)})
    return rows


def drive_evolution(store: Store, paths: list[str], population: int, generations: int, seed: int,
                    resume_run_id: int | None, on_progress: Callable[[GenerationReport], None], stop: threading.Event,
                    cluster: str | None = None, on_cluster: Callable[[ClusterInfo], None] | None = None
                    ) -> tuple[int, str]:
    """The console's run: start (or resume) one and advance it until done or `stop` is set;
    returns (run id, status)."""
    if resume_run_id is None:
        config = EvolutionConfig(population_size=population, generations=generations, seed=seed)
        run = start_run(lambda: store, paths, config, cluster=cluster)
    else:
        check_cluster(cluster)
        run = resume_run(EvolutionRepo(store), resume_run_id)
    outcome = advance_run(run, cluster, on_progress, stop, on_cluster=on_cluster)
    return run.run_id, outcome.status


def advance_run(run: PreparedRun, cluster: str | None, on_progress: Callable[[GenerationReport], None] | None,
                stop: threading.Event, *, force: bool = False, fallback: bool = False,
                on_cluster: Callable[[ClusterInfo], None] | None = None) -> RunOutcome:
    """Evolve a prepared run to its last generation or until `stop` is set (cancelled, resumable).

    With `cluster` (tcp://HOST:PORT or local:N) generations are evaluated on Dask workers; the
    results are identical, and `on_cluster` receives the ClusterInfo (address, workers) to show.
    `force` takes the run over from a process that still looks alive; `fallback` resumes from the
    newest valid checkpoint when newer ones are corrupt (core.evolution.execute_run)."""
    with cluster_evaluation(cluster, run.evaluate, run.run_id) as evaluate:
        if cluster and on_cluster is not None:
            on_cluster(evaluate.info())
        return execute_run(run.repo, run.run_id, evaluate, run.fingerprint, on_progress=on_progress,
                           should_stop=stop, force=force, fallback=fallback, choose=run.choose)


def generations_total(run: PreparedRun) -> int:
    """The generations the run was configured with (its progress bar's end)."""
    return stored_config(run.repo, run.run_id).generations


@dataclass(frozen=True)
class PromotionCandidate:
    run_id: int
    genes: list[float]
    fitness: float | None
    params: RiskParams
    live_params: RiskParams
    live_label: str
    oos_metrics: dict[str, Any]


def promotion_candidate(store: Store, run_id: int) -> PromotionCandidate:
    """The run's best genome beside the live one, with its out-of-sample evidence when the run has
    a walk-forward split (the report is computed here)."""
    best, _ = best_champion(EvolutionRepo(store), run_id)
    run = EvolutionRepo(store).get_run(run_id) or {}
    interval = promotion_note(run.get("bar_interval"), f"run {run_id}'s genome")  # refuses what cannot convert
    live_genes, live_label = active_genome(store)
    try:
        metrics = oos_evidence(run_report(store, run_id))
    except BadInputError as exc:  # no split recorded or data moved: promote on training evidence only
        metrics = {"train_fitness": best.fitness, "out_of_sample": f"unavailable: {exc}"}
    metrics["evolved_on"] = interval
    return PromotionCandidate(run_id, list(best.genes), best.fitness, decode(best.genes), decode(live_genes),
                              live_label, metrics)


def record_promotion(store: Store, run_id: int, cand: PromotionCandidate, operator: str) -> int:
    return promote_genes(store, cand.genes, run_id=run_id, operator=operator, metrics=cand.oos_metrics)


def recent_runs(store: Store, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` runs as stored (id, status, best fitness...), newest first."""
    return RunRepo(store).list_runs(limit=limit)
