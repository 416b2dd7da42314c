"""`evorisk backtest`: every genome of a genome file through one kernel call on the data, as
documents (fitness, per regime, per window) the command prints as tables or JSON."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from console.services.data_spec import data_loader
from core.backtest.api import evaluate_population, load_dataset
from core.backtest.dataset import BacktestConfig, Dataset
from core.backtest.enums import METRIC_NAMES
from core.genome import load_genome_file
from core.market.ohlcv import date_text


@dataclass(frozen=True)
class BacktestOutcome:
    dataset: Dataset
    results: list[dict[str, Any]]  # one per genome, in the file's order
    eval_seconds: float  # the kernel call alone


def backtest_genome_file(genome_file: str, data: list[str], *, fee: float, slippage: float, sides: str,
                         start: str | None = None, end: str | None = None, source_args: object = None
                         ) -> BacktestOutcome:
    """`source_args` carries --network/--base-url for hl: data specs (console.services.data_spec)."""
    genomes = load_genome_file(genome_file)
    config = BacktestConfig(fee_pct=fee, slippage_pct=slippage, sides=sides, start=start, end=end)
    dataset = load_dataset(data, config, load=data_loader(data, source_args))
    result = evaluate_population(dataset, np.vstack([g for g, _ in genomes]))
    return BacktestOutcome(dataset, result_dicts(dataset, result, [m for _, m in genomes]), result.eval_seconds)


def result_dicts(dataset, result, metas) -> list[dict]:
    out = []
    names = dataset.window_regime_names()
    for p, meta in enumerate(metas):
        regimes = {}
        for name in dict.fromkeys(names):
            idx = [w for w, n in enumerate(names) if n == name]
            regimes[name] = {"windows": len(idx), "mean_score": float(result.metrics[p, idx, 0].mean())}
        windows = [
            {"start": date_text(dataset.time_ns[int(w0)]), "regime": names[w],
             **{m: float(result.metrics[p, w, j]) for j, m in enumerate(METRIC_NAMES)}}
            for w, w0 in enumerate(dataset.window_starts)]
        out.append({"fitness": float(result.fitness[p]), "regimes": regimes, "windows": dataset.n_windows,
                    "summary": result.summary(p), "per_window": windows, **({"meta": meta} if meta else {})})
    return out
