"""What a finished (or interrupted) run offers the report besides its champion: the candidate
genomes it chose among, the number of distinct genomes it evaluated, and under NSGA-II its final
Pareto front. Read from the run's checkpoints through the RunRepository protocol (no SQL here)."""
from __future__ import annotations

from typing import Any

from core.evolution.checkpoint import CheckpointError
from core.evolution.operators import Genes
from core.evolution.pareto import first_front
from core.evolution.runner import RunRepository, _decode_row, _require_run, _stored_config

MAX_CANDIDATES = 600  # PBO/DSR candidates: enough to span the run, small enough for one kernel call


def run_candidates(repo: RunRepository, run_id: int, limit: int = MAX_CANDIDATES) -> list[Genes]:
    """The distinct genomes the run's checkpoints hold (every generation's survivors, then the
    hall of fame), in order of first appearance; thinned evenly to `limit`. These are the
    candidates the selection chose among, for PBO and the deflated Sharpe's trial variance."""
    cfg = _stored_config(_require_run(repo, run_id), run_id)
    run = _require_run(repo, run_id)
    seen: dict[Genes, None] = {}
    for generation in repo.checkpoint_generations(run_id):
        row = repo.checkpoint_at(run_id, generation)
        if row is None:
            continue
        try:
            state = _decode_row(row, run_id, cfg, run["data_fingerprint"])
        except CheckpointError:
            continue  # a corrupt checkpoint's survivors are missing from the candidates, no more
        for genes in state.population:
            seen.setdefault(genes, None)
    for champ in repo.hall_of_fame(run_id):
        seen.setdefault(champ.genes, None)
    found = list(seen)
    if len(found) <= limit:
        return found
    keep = {round(i * (len(found) - 1) / (limit - 1)) for i in range(limit)}
    return [g for i, g in enumerate(found) if i in keep]


def run_pareto_front(repo: RunRepository, run_id: int) -> list[dict[str, Any]]:
    """NSGA-II runs: the non-dominated genomes of the newest checkpoint with their training
    objectives (mean window return, mean window max drawdown); [] for scalar-fitness runs."""
    run = _require_run(repo, run_id)
    row = repo.latest_checkpoint(run_id)
    if row is None:
        return []
    state = _decode_row(row, run_id, _stored_config(run, run_id), run["data_fingerprint"])
    if not state.objectives:
        return []
    unique: dict[Genes, int] = {}
    for i in first_front(state.objectives):
        unique.setdefault(state.population[i], i)  # survivors can repeat a genome: list it once
    front = sorted(unique.values(), key=lambda i: -state.objectives[i][0])
    return [{"genes": list(state.population[i]), "total_return": state.objectives[i][0],
             "max_drawdown": -state.objectives[i][1], "fitness": state.fitness[i]} for i in front]


def run_trials(repo: RunRepository, run_id: int) -> tuple[int, str]:
    """(distinct genomes evaluated, where the number comes from)."""
    run = _require_run(repo, run_id)
    if run.get("trials") is not None:
        return int(run["trials"]), "recorded per generation"
    row = repo.latest_checkpoint(run_id)
    if row is None:
        return 0, "no checkpoint"
    state = _decode_row(row, run_id, _stored_config(run, run_id), run["data_fingerprint"])
    return state.distinct_evaluated, "from the newest checkpoint (run recorded before trial counting)"
