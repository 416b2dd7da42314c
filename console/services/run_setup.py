"""Setting up an evolution run to start or resume: one path for the CLI and the console, so both
record the same data spec and split and rebuild the same evaluator (and fingerprint) on resume."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from console.services.data_spec import data_loader
from core.errors import BadInputError
from core.evolution import create_run, run_data_paths, run_split, stored_config
from core.evolution.cluster import check_cluster
from core.evolution import evaluator as evaluators  # make_evaluator looked up per call: tests stand in a toy one
from core.evolution.evaluator import BacktestEvaluator, with_objective
from core.evolution.memory import check_population_memory
from core.evolution.walkforward import Split
from storage.evolution_repo import EvolutionRepo


@dataclass
class PreparedRun:
    repo: EvolutionRepo
    run_id: int
    evaluate: BacktestEvaluator | Callable[..., Any]  # tests drive runs with a stand-in callable
    fingerprint: str
    split: Split | None
    choose: Any = None  # final state -> champions (validation-based selection), or None


def start_run(open_store: Callable[[], Any], data: Sequence[str], config: Any, *, split: str | None = None,
              fold: tuple[int, int] | None = None, cluster: str | None = None, source_args: object = None
              ) -> PreparedRun:
    """Load and check everything first (too big a population for memory, bad data or cluster:
    nothing is created), then register the run. `source_args` carries --network/--base-url for
    hl: specs."""
    check_population_memory(config.population_size, config.offspring_size)  # before loading any data
    chosen: dict[str, Any] = {}  # only what was asked for, so the default split stays make_evaluator's
    if split is not None:
        chosen["split"] = split
    if fold is not None:
        chosen["fold"] = fold
    load = data_loader(data, source_args, open_store)  # None for CSV files only
    if load is not None:
        chosen["load"] = load
    evaluate, fingerprint, description = evaluators.make_evaluator(data, **chosen)
    dataset = getattr(evaluate, "dataset", None)  # a stand-in evaluator (tests) has none
    if dataset is not None:
        check_population_memory(config.population_size, config.offspring_size, dataset.n_windows)
    evaluate = with_objective(evaluate, config.objective())
    check_cluster(cluster)
    repo = EvolutionRepo(open_store())
    # hl: specs are recorded pinned to the network and range they resolved to, so a resume reads the same bars
    paths = load.recorded if load is not None else [str(Path(p).resolve()) for p in data]
    chosen_split = getattr(evaluate, "split", None)  # a stand-in evaluator (tests) trains on no split
    run_id = create_run(repo, config, fingerprint, description, data_paths=paths, split=chosen_split)
    interval = getattr(getattr(evaluate, "dataset", None), "bar_interval", None)
    if interval is not None:
        repo.set_bar_interval(run_id, interval)
    return PreparedRun(repo, run_id, evaluate, fingerprint, chosen_split, getattr(evaluate, "choose", None))


def resume_run(repo: EvolutionRepo, run_id: int, data: Sequence[str] | None = None, source_args: object = None
               ) -> PreparedRun:
    """The evaluator a run was trained with: its recorded data (or `data` if it moved) and split."""
    run = repo.get_run(run_id)
    if run is not None and run["status"] == "finished":  # say so before loading any data
        raise BadInputError(f"run {run_id} is already finished")
    paths = list(data or run_data_paths(repo, run_id))
    if not paths:
        raise BadInputError(f"run {run_id} records no data paths; pass --data")
    split = run_split(repo, run_id)  # the same training windows, so the fingerprint matches
    chosen: dict[str, Any] = {} if split is None else {"split": split.train_end}
    load = data_loader(paths, source_args, lambda: repo.store)
    if load is not None:
        chosen["load"] = load
    evaluate, fingerprint, _ = evaluators.make_evaluator(paths, **chosen)
    evaluate = with_objective(evaluate, stored_config(repo, run_id).objective())
    return PreparedRun(repo, run_id, evaluate, fingerprint, split, getattr(evaluate, "choose", None))
