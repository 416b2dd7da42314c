"""Assemble a run's out-of-sample report as one JSON-ready document (the `--json` contract; the
text and HTML renderings read the same document, so they can never disagree)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core.backtest.dataset import Dataset
from core.evolution.hall_of_fame import Champion
from core.evolution.walkforward import Split
from core.market.ohlcv import date_text
from core.report.claims import context_lines, judge_claims
from core.report.walk_forward import RANDOM_GENOMES, RANDOM_SEED, WalkForwardResult, compare

REPORT_FORMAT = "evorisk.report.walk_forward"
HYPERLIQUID_TAKER_FEE_PCT = 0.045  # base-tier perp taker fee, % per side (maker 0.015%)
METHOD = {
    "sharpe": "per test window, annualised with sqrt(periods per year) from daily equity returns; "
              "the strategy's figure is the mean over test windows (max drawdown, win rate, profit factor "
              "and total return likewise)",
    "fixed_levels": "levels 1%..50% in 1% steps (within the kernel's clip range per kind), the best training "
                    "fitness wins, then the chosen level is run on the test windows",
    "random_median": "median over seeded uniform random genomes, metric by metric",
    "equity_curves": "equity / initial cash by bar inside the window, averaged over the test windows "
                     "(windows overlap, so they are averaged, not chained)",
    "entries": "every strategy but the basket trades the same momentum entries",
}


@dataclass(frozen=True)
class RunFacts:
    """What the report needs to know about the run, read from storage by the caller."""

    run_id: int
    status: str
    champion: Champion
    champion_source: str
    data_paths: Sequence[str]
    generations: Sequence[dict[str, Any]]  # rows of the generations table


def _windows(dataset: Dataset) -> list[dict[str, str]]:
    bars = dataset.config.window_bars
    names = dataset.window_regime_names()
    return [{"start": date_text(dataset.time_ns[int(w0)]), "end": date_text(dataset.time_ns[int(w0) + bars - 1]),
             "regime": names[i]} for i, w0 in enumerate(dataset.window_starts)]


def build_report(facts: RunFacts, split: Split, train: Dataset, test: Dataset,
                 random_genomes: int = RANDOM_GENOMES, random_seed: int = RANDOM_SEED) -> dict[str, Any]:
    """Run every comparison and return the report document (plain JSON types only)."""
    result = compare(train, test, np.asarray(facts.champion.genes), random_genomes, random_seed)
    return document(facts, split, train, test, result)


def document(facts: RunFacts, split: Split, train: Dataset, test: Dataset, result: WalkForwardResult
             ) -> dict[str, Any]:
    claims = judge_claims(result)
    cfg = test.config
    strategies = {}
    for key, s in result.strategies.items():
        strategies[key] = {"label": s.label, "level": s.level, "train_fitness": s.train_fitness,
                           "test_fitness": s.test_fitness, "overall": s.overall, "regimes": s.regimes}
    return {
        "format": REPORT_FORMAT,
        "run_id": facts.run_id,
        "status": facts.status,
        "best_genome": {"genes": [float(g) for g in facts.champion.genes], "fitness": facts.champion.fitness,
                        "source": facts.champion_source},
        "data": {"assets": list(test.names), "paths": list(facts.data_paths)},
        "split": dict(split.to_dict(), train_windows=result.train_windows, test_windows=result.test_windows,
                      train=_windows(train), test=_windows(test)),
        "costs": {"fee_pct": cfg.fee_pct * 100, "slippage_pct": cfg.slippage_pct * 100,
                  "note": f"fees {cfg.fee_pct:.2%} and slippage {cfg.slippage_pct:.2%} per side, as in training; "
                          f"Hyperliquid's base-tier taker fee is far lower ({HYPERLIQUID_TAKER_FEE_PCT}%)"},
        "method": dict(METHOD, random_genomes=result.random_genomes, random_seed=result.random_seed),
        "strategies": strategies,
        "claims": [c.to_dict() for c in claims],
        "verdict": [c.text for c in claims] + context_lines(result),
        "generations": [{"generation": int(g["generation"]), "best": float(g["best"]), "mean": float(g["mean"])}
                        for g in facts.generations],
        "equity_curves": {k: [float(x) for x in v] for k, v in result.mean_equity.items()},
    }
