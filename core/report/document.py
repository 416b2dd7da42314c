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
from core.backtest.enums import M_MAXDD, M_RETURN, M_SHARPE
from core.report.claims import context_lines, judge_claims
from core.report.intervals import mean_intervals
from core.report.walk_forward import RANDOM_GENOMES, RANDOM_SEED, RULES, WalkForwardResult, compare

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
    "same_rules": "every baseline under the evolved genome's position cap, correlation gate and breaker; fixed "
                  "levels chosen on training windows under those rules; random genomes get the evolved portfolio genes",
    "equal_exposure": "every strategy, the evolved genome included, at plain equal weight without position cap, "
                      "correlation gate or breaker; only the exit rules differ",
    "intervals": "95% stationary block bootstrap over test windows (arch), mean block = window / step windows, "
                 "2000 resamples, paired between the evolved genome and each baseline",
    "deflated_sharpe": "Bailey & Lopez de Prado (2014) on the training windows, trials = distinct genomes evaluated",
    "pbo": "CSCV (Bailey et al. 2015) over every window x the run's candidate genomes, window score as performance",
}
INTERVAL_METRICS = {"sharpe": M_SHARPE, "max_drawdown": M_MAXDD, "total_return": M_RETURN}


@dataclass(frozen=True)
class RunFacts:
    """What the report needs to know about the run, read from storage by the caller."""

    run_id: int
    status: str
    champion: Champion
    champion_source: str
    data_paths: Sequence[str]
    generations: Sequence[dict[str, Any]]  # rows of the generations table
    candidates: Sequence[Sequence[float]] = ()  # distinct genomes of the run (for PBO and DSR)
    trials: int = 0  # distinct genomes evaluated
    trials_source: str = ""
    bar_interval: str | None = None
    pareto_front: Sequence[dict[str, Any]] = ()  # NSGA-II runs: the final non-dominated genomes
    objective: dict[str, Any] | None = None  # what the run optimised (objective_facts); None if unknown


def objective_facts(objective: Any, requested_folds: int) -> dict[str, Any]:
    """The fitness mode that produced a run, as the report shows it: `objective` is the run's
    core.evolution.objective.Objective resolved for its training windows (auto folds decided)."""
    return {"fitness": objective.fitness, "folds": objective.folds, "requested_folds": requested_folds,
            "dispersion_penalty": objective.dispersion_penalty, "purge_windows": objective.purge,
            "description": objective.describe()}


def _windows(dataset: Dataset) -> list[dict[str, str]]:
    bars = dataset.config.window_bars
    names = dataset.window_regime_names()
    return [{"start": date_text(dataset.time_ns[int(w0)]), "end": date_text(dataset.time_ns[int(w0) + bars - 1]),
             "regime": names[i]} for i, w0 in enumerate(dataset.window_starts)]


def build_report(facts: RunFacts, split: Split, train: Dataset, test: Dataset,
                 random_genomes: int = RANDOM_GENOMES, random_seed: int = RANDOM_SEED) -> dict[str, Any]:
    """Run every comparison and return the report document (plain JSON types only)."""
    from core.report.trust import trust_figures

    genes = np.asarray(facts.champion.genes)
    results = {rules: compare(train, test, genes, random_genomes, random_seed, rules) for rules in RULES}
    trust = trust_figures(train, test, facts.champion.genes, facts.candidates or [facts.champion.genes],
                          facts.trials, facts.trials_source)
    return document(facts, split, train, test, results, trust)


def _variant(result: WalkForwardResult) -> dict[str, Any]:
    claims = judge_claims(result)
    strategies = {}
    for key, s in result.strategies.items():
        cols = np.stack([s.window_metrics[:, c] for c in INTERVAL_METRICS.values()], axis=1)
        ivs = mean_intervals(cols, result.block)
        strategies[key] = {"label": s.label, "level": s.level, "train_fitness": s.train_fitness,
                           "test_fitness": s.test_fitness, "overall": s.overall, "regimes": s.regimes,
                           "intervals": {m: iv.to_dict() for m, iv in zip(INTERVAL_METRICS, ivs)}}
    return {"strategies": strategies, "claims": [c.to_dict() for c in claims],
            "verdict": [c.text for c in claims] + context_lines(result),
            "equity_curves": {k: [float(x) for x in v] for k, v in result.mean_equity.items()}}


def document(facts: RunFacts, split: Split, train: Dataset, test: Dataset,
             results: dict[str, WalkForwardResult], trust: dict[str, Any]) -> dict[str, Any]:
    cfg = test.config
    variants = {rules: _variant(r) for rules, r in results.items()}
    same, equal = variants["same_rules"], variants["equal_exposure"]
    any_result = results["same_rules"]
    trust_lines = [trust["deflated_sharpe"]["text"]] + ([trust["pbo"]["text"]] if trust["pbo"] else [])
    return {
        "format": REPORT_FORMAT,
        "run_id": facts.run_id,
        "status": facts.status,
        "best_genome": {"genes": [float(g) for g in facts.champion.genes], "fitness": facts.champion.fitness,
                        "source": facts.champion_source},
        "fitness": None if facts.objective is None else facts.objective["fitness"],
        "objective": facts.objective,
        "data": {"assets": list(test.names), "paths": list(facts.data_paths), "bar_interval": facts.bar_interval,
                 "window_bars": cfg.window_bars, "window_step_bars": cfg.window_step_bars,
                 "window_days": cfg.window_bars / test.bars_per_day,
                 "window_step_days": cfg.window_step_bars / test.bars_per_day},
        "split": dict(split.to_dict(), train_windows=any_result.train_windows, test_windows=any_result.test_windows,
                      train=_windows(train), test=_windows(test)),
        "costs": {"fee_pct": cfg.fee_pct * 100, "slippage_pct": cfg.slippage_pct * 100,
                  "note": f"fees {cfg.fee_pct:.2%} and slippage {cfg.slippage_pct:.2%} per side, as in training; "
                          f"Hyperliquid's base-tier taker fee is far lower ({HYPERLIQUID_TAKER_FEE_PCT}%)"},
        "method": dict(METHOD, random_genomes=any_result.random_genomes, random_seed=any_result.random_seed,
                       bootstrap_block_windows=any_result.block),
        # the genome as it would run: baselines under its own portfolio rules (also under "same_rules")
        "strategies": same["strategies"],
        "claims": same["claims"],
        "same_rules": same,
        "equal_exposure": equal,
        "trials": trust["trials"]["value"],
        "trials_source": trust["trials"]["source"],
        "deflated_sharpe": trust["deflated_sharpe"],
        "pbo": None if trust["pbo"] is None else trust["pbo"]["value"],
        "pbo_detail": trust["pbo"],
        "pareto_front": list(facts.pareto_front),
        "verdict": ([c["text"] for c in same["claims"]]
                    + [c["text"] for c in equal["claims"]] + same["verdict"][2:] + trust_lines),
        "generations": [{"generation": int(g["generation"]), "best": float(g["best"]), "mean": float(g["mean"])}
                        for g in facts.generations],
        "equity_curves": same["equity_curves"],
    }
