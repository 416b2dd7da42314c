"""A run's out-of-sample report as rich renderables: printed by `evorisk report` and shown by the
console's report view, so both read the same tables."""
from __future__ import annotations

from typing import Any

from rich.table import Table

PARETO_ROWS = 10  # the front is listed thinned to this many points (plus the chosen genome)
_SHORT = {"evolved": "evolved", "stop_loss": "SL", "trailing": "trail", "take_profit": "TP",
          "hold_entries": "hold entries", "basket": "basket", "random_median": "random median"}


def report_renderables(doc: dict[str, Any]) -> list[Any]:
    """The report as rich renderables, printed by the CLI and shown by the console's report view."""
    out: list[Any] = []
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


def objective_flags(objective: dict[str, Any]) -> str:
    """'--fitness nsga2 --folds 2' (and 'auto' when the run left the folds to the data)."""
    folds = objective["folds"]
    asked = "auto: " if objective.get("requested_folds", folds) < 0 else ""
    return f"--fitness {objective['fitness']} --folds {asked}{folds}"
