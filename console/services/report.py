"""A run's walk-forward out-of-sample report document: `evorisk report`, the console's report view
and the promotion evidence all build it here."""
from __future__ import annotations

from typing import Any

from console.services.data_spec import data_loader
from core.errors import BadInputError
from core.evolution import best_champion, run_data_paths, run_split, stored_config
from core.evolution.hall_of_fame import Champion
from core.evolution.run_evidence import run_candidates, run_pareto_front, run_trials
from core.evolution.walkforward import split_datasets
from core.genome import save_genome_file
from core.market.loader import load_many
from core.report.document import RunFacts, build_report, objective_facts
from core.report.html_page import write_html_report
from core.report.walk_forward import RANDOM_GENOMES
from storage import Store
from storage.evolution_repo import EvolutionRepo


def build_run_report(repo: EvolutionRepo, run_id: int, data_paths: list[str] | None = None,
                     random_genomes: int | None = None) -> dict[str, Any]:
    """The out-of-sample report document of a run (seconds of kernel work: call from a worker)."""
    random_genomes = RANDOM_GENOMES if random_genomes is None else random_genomes
    if random_genomes < 1:
        raise BadInputError("--random-genomes must be at least 1")
    run = repo.get_run(run_id)
    champion, source = best_champion(repo, run_id)  # before loading data: a bad run fails fast
    split = run_split(repo, run_id)
    if split is None:
        raise BadInputError(f"run {run_id} trained on every window (no walk-forward split recorded): "
                            "nothing is out of sample; start a run with `evorisk evolve --split DATE`")
    paths = data_paths or run_data_paths(repo, run_id)
    load = data_loader(paths, None, lambda: repo.store)  # hl: specs read the candle cache
    train, test = split_datasets((load or load_many)(paths), split)
    if train.fingerprint != run["data_fingerprint"]:
        raise BadInputError(f"run {run_id}: the data or backtest settings changed since the run "
                            f"(fingerprint {train.fingerprint[:12]} != {run['data_fingerprint'][:12]})")
    config = stored_config(repo, run_id)
    objective = objective_facts(config.objective().fitted(train.n_windows), config.folds)
    trials, trials_source = run_trials(repo, run_id)
    front = run_pareto_front(repo, run_id)
    for point in front:
        point["chosen"] = tuple(point["genes"]) == tuple(champion.genes)
    facts = RunFacts(run_id, run["status"], champion, source, list(paths), repo.generations(run_id),
                     candidates=run_candidates(repo, run_id), trials=trials, trials_source=trials_source,
                     bar_interval=run.get("bar_interval"), pareto_front=front, objective=objective)
    return build_report(facts, split, train, test, random_genomes=random_genomes)


def report_for(store: Store, run_id: int, data_paths: list[str] | None = None,
               random_genomes: int | None = None) -> dict[str, Any]:
    """`evorisk report`: the document, reading the data from `data_paths` when the run's moved."""
    return build_run_report(EvolutionRepo(store), run_id, data_paths, random_genomes)


def recorded_data_paths(store: Store, run_id: int) -> list[str]:
    return list(run_data_paths(EvolutionRepo(store), run_id))


def write_html(doc: dict[str, Any], path: str) -> None:
    write_html_report(doc, path)


def export_best_genome(store: Store, run_id: int, path: str) -> tuple[Champion, str]:
    """Write the run's best genome as a genome file; returns it and where it came from."""
    repo = EvolutionRepo(store)
    champion, source = best_champion(repo, run_id)
    interval = repo.get_run(run_id).get("bar_interval")
    try:
        save_genome_file(path, list(champion.genes), run_id=run_id, fitness=champion.fitness,
                         **({} if interval is None else {"bar_interval": interval}))
    except OSError as exc:
        raise BadInputError(f"cannot write {path}: {exc.strerror}") from None
    return champion, source


def run_report(store: Store, run_id: int) -> dict[str, Any]:
    """The console's report of a run, from the recorded data paths."""
    return build_run_report(EvolutionRepo(store), run_id)


def oos_evidence(doc: dict[str, Any]) -> dict[str, Any]:
    """The few out-of-sample numbers an operator weighs before promoting."""
    evolved = doc["strategies"]["evolved"]
    o = evolved["overall"]
    return {"test_windows": doc["split"]["test_windows"], "oos_sharpe": o["sharpe"],
            "oos_max_drawdown": o["max_drawdown"], "oos_total_return": o["total_return"],
            "oos_fitness": evolved["test_fitness"], "train_fitness": evolved["train_fitness"],
            **{f"claim_{c['name']}": "holds" if c["holds"] else "does not hold" for c in doc.get("claims", [])}}
