"""`evorisk evolve`, `evorisk resume RUN_ID` and `evorisk runs` (SPEC section 11).

The run id is printed before any work so a script can resume after a crash. The first Ctrl-C asks
the loop to stop at the next generation boundary (status cancelled, resumable); a second one
interrupts at once, which loses at most the generation in progress.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from console import argtypes as at
from console.cli_options import DATA_HELP, add_hl_options
from console.exit_codes import EXIT_CANCELLED, EXIT_OK
from core.genome import GENE_SPECS, decode, decoded_rows
from core.vocabulary import RunStatus

CLUSTER_HELP = ("evaluate on a Dask cluster: tcp://HOST:PORT of a scheduler, or local:N worker processes "
                "here (needs evorisk[cluster]); results are identical either way")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    e = sub.add_parser("evolve", parents=[common], help="evolve risk genomes on OHLCV files")
    e.add_argument("--data", nargs="+", required=True, metavar="PATH", help=DATA_HELP)
    add_hl_options(e)
    e.add_argument("--pop", type=at.population, default=50, help="population size (default 50)")
    e.add_argument("--gens", type=at.non_negative_count, default=100, help="generations after the initial one (default 100)")
    e.add_argument("--seed", type=at.seed, default=0, help="random seed (default 0)")
    split_or_fold = e.add_mutually_exclusive_group()  # two different test sets: one run has one
    split_or_fold.add_argument("--split", metavar="DATE", help="train on windows ending before DATE; `report` tests on the "
                   "windows from DATE on (default: the last 25%% of the time axis is held out)")
    split_or_fold.add_argument("--fold", metavar="I/K", help="rolling walk-forward instead: fold I of K (time axis in K+1 "
                   "blocks, train on blocks 1..I, test on block I+1); one run per fold")
    e.add_argument("--fitness", choices=("dn", "neutral", "nsga2"), help="what evolution optimises: dn = the "
                   "design note's fitness, neutral = exposure-neutral (holding less does not score), nsga2 = "
                   "Pareto front of return and drawdown (default: nsga2, the best out of sample in bench/RESULTS.md)")
    e.add_argument("--folds", type=int, metavar="K", help="inner validation: K folds of the training windows "
                   "(purged), fitness = mean - penalty x std, the returned genome chosen on a held-back block; "
                   "0 = off (default: 2 when the training windows hold them, else off)")
    e.add_argument("--json", action="store_true", help="JSON lines: the run id, then the result")
    e.add_argument("--cluster", metavar="ADDRESS", help=CLUSTER_HELP)
    e.set_defaults(func=cmd_evolve)

    r = sub.add_parser("resume", parents=[common], help="continue a run from its last checkpoint")
    r.add_argument("run_id", type=at.row_id)
    r.add_argument("--data", nargs="+", metavar="PATH", help="the run's data moved: read it from here")
    r.add_argument("--force", action="store_true", help="take over a run another process seems to own")
    r.add_argument("--json", action="store_true")
    r.add_argument("--cluster", metavar="ADDRESS", help=CLUSTER_HELP)
    r.set_defaults(func=cmd_resume)

    ls = sub.add_parser("runs", parents=[common], help="list evolution runs")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_runs)


def cmd_evolve(args: argparse.Namespace) -> int:
    from console.services.opening import open_args_store  # heavy: the store, and the kernel's numba
    from console.services.run_setup import start_run
    from core.evolution import EvolutionConfig
    from core.evolution.walkforward import parse_fold

    config = EvolutionConfig(population_size=args.pop, generations=args.gens, seed=args.seed,
                             **_objective_options(args))
    run = start_run(lambda: open_args_store(args), args.data, config, split=args.split,
                    fold=None if args.fold is None else parse_fold(args.fold), cluster=args.cluster,
                    source_args=args)  # bad data, memory or cluster: exit 2, no run
    _say_run_id(run.run_id, args.json)
    if run.split is not None and not args.json:
        print(f"walk-forward split: {run.split.rule}", flush=True)
    dataset = getattr(run.evaluate, "dataset", None)  # a stand-in evaluator (tests) has none
    if dataset is not None and not args.json:
        print(windows_line(dataset), flush=True)
    objective = getattr(run.evaluate, "objective", None)
    if objective is not None and not args.json:
        print(f"fitness mode: --fitness {objective.fitness} --folds {objective.folds}: {objective.describe()}",
              flush=True)
    return _drive(run, args, force=False)


def windows_line(dataset) -> str:
    """Which bars and windows a run trains on, in bars and in the days they were defined in."""
    cfg, per_day = dataset.config, dataset.bars_per_day
    return (f"bars: {dataset.bar_interval}; {dataset.n_windows} training windows of {cfg.window_bars} bars "
            f"({cfg.window_bars / per_day:g} days) every {cfg.window_step_bars} bars "
            f"({cfg.window_step_bars / per_day:g} days); time genes and lookbacks in days")


def _objective_options(args: argparse.Namespace) -> dict:
    """Only the options given, so EvolutionConfig's defaults stay the one place defaults live."""
    return {k: v for k, v in (("fitness", args.fitness), ("folds", args.folds)) if v is not None}


def cmd_resume(args: argparse.Namespace) -> int:
    from console.services.opening import open_args_store  # heavy: the store, and the kernel's numba
    from console.services.run_setup import resume_run
    from storage.evolution_repo import EvolutionRepo

    run = resume_run(EvolutionRepo(open_args_store(args)), args.run_id, args.data, source_args=args)
    _say_run_id(args.run_id, args.json)
    return _drive(run, args, force=args.force)


def cmd_runs(args: argparse.Namespace) -> int:
    from console.services.opening import open_args_store
    from console.services.runs import run_rows

    rows = run_rows(open_args_store(args))
    if args.json:
        print(json.dumps({"runs": rows}))
        return EXIT_OK
    table = Table(title="evolution runs")
    for col in ("id", "status", "generations", "best fitness", "created", "data"):
        table.add_column(col, justify="right" if col in ("id", "generations", "best fitness") else "left")
    for r in rows:
        done = "-" if r["generations_done"] is None else str(r["generations_done"])
        best = "-" if r["best_fitness"] is None else f"{r['best_fitness']:.6f}"
        table.add_row(str(r["id"]), r["status"], f"{done}/{r['generations_total']}", best,
                      r["created_at"][:19].replace("T", " "), r["data"])
    Console(soft_wrap=True).print(table)
    return EXIT_OK


def _say_run_id(run_id: int, as_json: bool) -> None:
    print(json.dumps({"run_id": run_id}) if as_json else f"run {run_id}", flush=True)


def _drive(run, args: argparse.Namespace, force: bool) -> int:
    """Run to the end or to Ctrl-C, then print the best genome; exit 0 finished, 130 cancelled."""
    from console.services.runs import advance_run, generations_total  # heavy: the kernel's numba

    stop = threading.Event()
    with _cancel_on_sigint(stop), _progress(sys.stdout.isatty() and not args.json, generations_total(run)) as on_progress:
        outcome = advance_run(run, args.cluster, on_progress, stop, force=force, fallback=True)
    if outcome.discarded_generations:
        sys.stderr.write(f"evorisk: warning: run {run.run_id}: corrupt checkpoints of generations "
                         f"{', '.join(map(str, outcome.discarded_generations))} were quarantined; resumed from the "
                         "newest valid one and recomputed them\n")
    if args.json:
        print(json.dumps(_outcome_json(outcome)))
    else:
        _print_best(Console(soft_wrap=True), outcome)
    if outcome.status == RunStatus.CANCELLED:
        sys.stderr.write(f"evorisk: run {run.run_id} cancelled after generation {outcome.generation}; "
                         f"continue with: evorisk resume {run.run_id}\n")
        return EXIT_CANCELLED
    return EXIT_OK


@contextmanager
def _cancel_on_sigint(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C: stop at the next generation boundary. Second: the default KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame) -> None:  # noqa: ARG001
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        sys.stderr.write("\nevorisk: stopping after this generation (Ctrl-C again to abort now)\n")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _progress(enabled: bool, generations_total: int):
    """A rich progress bar on a terminal; nothing otherwise (the generations table has every record)."""
    if not enabled:
        yield None
        return

    columns = (TextColumn("gen"), MofNCompleteColumn(), BarColumn(),
               TextColumn("best {task.fields[best]}  mean {task.fields[mean]}  "
                          "{task.fields[rate]} evals/s  eta {task.fields[eta]}"))
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("evolve", total=generations_total, best="-", mean="-", rate="-", eta="-")

        def on_progress(rep) -> None:
            bar.update(task, total=rep.generations_total, completed=rep.generation,
                       best=f"{rep.best:.5f}", mean=f"{rep.mean:.5f}", rate=f"{rep.evals_per_s:.0f}",
                       eta=f"{rep.eta_s:.0f}s")

        yield on_progress


def _outcome_json(outcome) -> dict:
    best = outcome.hall_of_fame[0] if outcome.hall_of_fame else None
    return {
        "run_id": outcome.run_id, "status": outcome.status, "generation": outcome.generation,
        "best": None if best is None else {"fitness": best.fitness, "genes": list(best.genes),
                                           "params": asdict(decode(list(best.genes)))},
        "hall_of_fame": [{"fitness": c.fitness, "genes": list(c.genes)} for c in outcome.hall_of_fame],
    }


def _print_best(console, outcome) -> None:
    if not outcome.hall_of_fame:
        console.print(f"run {outcome.run_id}: no generation completed")
        return
    best = outcome.hall_of_fame[0]
    table = Table(title=f"run {outcome.run_id} best genome after generation {outcome.generation}: "
                        f"fitness {best.fitness:.6f}")
    for col in ("#", "parameter", "gene", "value", "unit"):
        table.add_column(col, justify="right" if col in ("#", "gene", "value") else "left")
    for (idx, name, text, unit), spec in zip(decoded_rows(decode(list(best.genes))), GENE_SPECS):
        table.add_row(str(idx), name, f"{best.genes[spec.index]:.4f}", text, unit)
    console.print(table)
