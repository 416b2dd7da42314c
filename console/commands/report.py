"""`evorisk report RUN_ID [--html FILE] [--json]` and `evorisk export RUN_ID FILE`.

`report` rebuilds the run's training and test windows from its recorded data paths and
walk-forward split, and compares the run's best genome out of sample against the baselines
(core.report). `export` writes the best genome to a genome file (`{"genes", "run_id", "fitness"}`)
that `backtest --genome` and `genome show` read. Both live here because both answer "what did
this run produce?", and one module keeps the CLI registry to a single line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from console.exit_codes import EXIT_OK
from console.outputs import guard_output
from console import argtypes as at
PIPE_WIDTH_COLUMNS = 140
PARETO_ROWS = 10  # the front is listed thinned to this many points (plus the chosen genome)
_SHORT = {"evolved": "evolved", "stop_loss": "SL", "trailing": "trail", "take_profit": "TP",
          "hold_entries": "hold entries", "basket": "basket", "random_median": "random median"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("report", parents=[common], help="out-of-sample report of an evolution run")
    r.add_argument("run_id", type=at.row_id)
    r.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page with plots")
    r.add_argument("--json", action="store_true", help="print the report document as JSON")
    r.add_argument("--data", nargs="+", metavar="PATH", help="the run's data moved: read it from here")
    r.add_argument("--random-genomes", type=at.count, default=200, help="random genomes for the median (default 200)")
    r.set_defaults(func=cmd_report)

    x = sub.add_parser("export", parents=[common], help="write a run's best genome to a genome file")
    x.add_argument("run_id", type=at.row_id)
    x.add_argument("file", help="genome file to write (JSON)")
    x.set_defaults(func=cmd_export)


def _repo(args: argparse.Namespace):
    from console.cli import open_store
    from storage.evolution_repo import EvolutionRepo

    return EvolutionRepo(open_store(args))


def build_run_report(repo, run_id: int, data_paths: list[str] | None = None,
                     random_genomes: int | None = None) -> dict:
    """The out-of-sample report document of a run (shared by `evorisk report` and the console)."""
    from console.data_spec import data_loader
    from core.errors import BadInputError
    from core.evolution import best_champion, run_data_paths, run_split, stored_config
    from core.evolution.run_evidence import run_candidates, run_pareto_front, run_trials
    from core.evolution.walkforward import split_datasets
    from core.market.loader import load_many
    from core.report.document import RunFacts, build_report, objective_facts

    from core.report.walk_forward import RANDOM_GENOMES

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


def cmd_report(args: argparse.Namespace) -> int:
    from core.evolution import run_data_paths

    guard_output(args.html, "--html", args, args.data)  # before any work: never over the db or the data
    repo = _repo(args)
    doc = build_run_report(repo, args.run_id, args.data, args.random_genomes)
    if args.html:
        from core.report.html_page import write_html_report

        guard_output(args.html, "--html", args, args.data or run_data_paths(repo, args.run_id))

        write_html_report(doc, args.html)
    if args.json:
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        _print_report(doc, args.html)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from rich.console import Console

    from core.errors import BadInputError
    from core.evolution import best_champion
    from core.genome import save_genome_file

    guard_output(args.file, "FILE", args)  # the genome file must never replace the database
    repo = _repo(args)
    champion, source = best_champion(repo, args.run_id)
    interval = {"bar_interval": repo.get_run(args.run_id).get("bar_interval")}
    try:
        save_genome_file(args.file, list(champion.genes), run_id=args.run_id, fitness=champion.fitness,
                         **{k: v for k, v in interval.items() if v is not None})
    except OSError as exc:
        raise BadInputError(f"cannot write {args.file}: {exc.strerror}") from None
    Console(soft_wrap=True).print(f"wrote {Path(args.file)}: best genome of run {args.run_id} "
                                  f"(fitness {champion.fitness:.6f}, from the {source})")
    return EXIT_OK


def _print_report(doc: dict, html_path: str | None) -> None:
    from rich.console import Console

    # a pipe gets rich's 80 columns by default, which truncates the table; reports are often piped
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPE_WIDTH_COLUMNS)
    for item in report_renderables(doc):
        console.print(item)
    if html_path:
        console.print(f"wrote {html_path}")


def report_renderables(doc: dict) -> list:
    """The report as rich renderables, printed by the CLI and shown by the console's report view."""
    from rich.table import Table

    out: list = []
    split = doc["split"]
    out.append(f"run {doc['run_id']} ({doc['status']}): best genome from the {doc['best_genome']['source']}, "
               f"training fitness {doc['best_genome']['fitness']:.6f}")
    if doc.get("objective"):
        out.append(f"fitness mode: {objective_flags(doc['objective'])}: {doc['objective']['description']}")
    out.append(f"split: {split['rule']}; {split['train_windows']} training windows, {split['test_windows']} "
               f"test windows ({split['test'][0]['start']} to {split['test'][-1]['end']})")
    data = doc["data"]
    if data.get("window_bars"):
        out.append(f"bars: {data.get('bar_interval') or 'interval not recorded'}; windows of "
                   f"{data['window_bars']} bars every {data['window_step_bars']} bars ({data['window_days']:g} days "
                   f"every {data['window_step_days']:g} days)")
    out.append(f"costs: {doc['costs']['note']}")
    order = list(doc["strategies"])
    titles = {"same_rules": "out of sample: mean over test windows, baselines under the evolved genome's rules",
              "equal_exposure": "out of sample: mean over test windows, all at equal weight without portfolio rules"}
    for rules, title in titles.items():
        out.append(_strategy_table(doc.get(rules, {"strategies": doc["strategies"]})["strategies"], order, title))
    out.append("[ ] = 95% block-bootstrap interval over test windows")
    regimes = sorted({r for s in doc["strategies"].values() for r in s["regimes"]})
    by_regime = Table(title="out of sample per regime: Sharpe / max drawdown")
    by_regime.add_column("strategy")
    counts = doc["strategies"]["evolved"]["regimes"]
    for r in regimes:
        by_regime.add_column(f"{r} ({counts.get(r, {}).get('windows', 0)} w)", justify="right")
    for key in order:
        s = doc["strategies"][key]
        cells = [f"{s['regimes'][r]['sharpe']:.2f} / {s['regimes'][r]['max_drawdown']:.0%}" if r in s["regimes"]
                 else "-" for r in regimes]
        by_regime.add_row(_SHORT[key], *cells)
    out.append(by_regime)
    out.append("strategies: " + "; ".join(f"{_SHORT[k]} = {doc['strategies'][k]['label']}" for k in order))
    front = doc.get("pareto_front") or []
    if front:
        shown = _spread(len(front), PARETO_ROWS) | {i for i, p in enumerate(front) if p.get("chosen")}
        pareto = Table(title=f"Pareto front of the final population: {len(front)} genomes, training windows"
                             + (f" ({len(shown)} shown)" if len(shown) < len(front) else ""))
        for col in ("#", "mean return", "mean max DD", "chosen"):
            pareto.add_column(col, justify="right")
        for i, p in enumerate(front, start=1):
            if i - 1 not in shown:
                continue
            pareto.add_row(str(i), f"{p['total_return']:+.1%}", f"{p['max_drawdown']:.1%}",
                           "yes" if p.get("chosen") else "")
        out.append(pareto)
    out.append("[bold]verdict[/bold]")
    for line in doc["verdict"]:
        out.append(f"- {line}")
    return out


def objective_flags(objective: dict) -> str:
    """'--fitness nsga2 --folds 2' (and 'auto' when the run left the folds to the data)."""
    folds = objective["folds"]
    asked = "auto: " if objective.get("requested_folds", folds) < 0 else ""
    return f"--fitness {objective['fitness']} --folds {asked}{folds}"


def _spread(n: int, k: int) -> set[int]:
    """k indices spread evenly over 0..n-1 (both ends included)."""
    if n <= k:
        return set(range(n))
    return {round(j * (n - 1) / (k - 1)) for j in range(k)}


def _ci(s: dict, metric: str, fmt: str) -> str:
    iv = s.get("intervals", {}).get(metric)
    if not iv or iv["ci_low"] is None:
        return ""
    return f" [{format(iv['ci_low'], fmt)}, {format(iv['ci_high'], fmt)}]"


def _strategy_table(strategies: dict, order: list[str], title: str):
    from rich.table import Table

    table = Table(title=title)
    cols = ("strategy", "Sharpe", "max DD", "win rate", "PF", "return", "trades", "test fitness", "train fitness")
    for col in cols:
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for key in order:
        s = strategies[key]
        o = s["overall"]
        label = _SHORT[key] + (f" {s['level']:.0%}" if s["level"] is not None else "")
        train = "-" if s["train_fitness"] is None else f"{s['train_fitness']:.3f}"
        table.add_row(label, f"{o['sharpe']:.3f}{_ci(s, 'sharpe', '.2f')}",
                      f"{o['max_drawdown']:.1%}{_ci(s, 'max_drawdown', '.0%')}", f"{o['win_rate']:.1%}",
                      f"{o['profit_factor']:.2f}", f"{o['total_return']:+.1%}{_ci(s, 'total_return', '+.0%')}",
                      f"{o['trades']:.1f}", f"{o['fitness']:.3f}", train)
    return table
