"""The evolved genome against its baselines on the run's TEST windows, same entries, same costs.

Every comparison runs twice (SPEC section 10), because a baseline that holds 100% of equity is no
fair match for a genome that caps positions at 10% and trips a breaker:
- `same_rules`: every baseline trades under exactly the evolved genome's portfolio rules (its
  concentration cap, correlation gate and drawdown breaker); only the exit rules differ;
- `equal_exposure`: every strategy, the evolved genome included, at plain equal weight with no
  portfolio rule at all; only the exit rules differ.

Strategies (all on the same test windows and the same momentum entries, except the basket):
- evolved: the run's best genome;
- hold_entries: every entry held to the window end (no exit rule at all);
- basket: the equal-weight basket of the window's assets held for the whole window;
- stop_loss / trailing / take_profit: one fixed exit, its level chosen on the TRAINING windows
  (grid 1%..50%, the level with the best training fitness, one kernel call per kind);
- random_median: the median, metric by metric, of N seeded uniform random genomes.
Per-strategy numbers are means over test windows (Sharpe = mean of per-window Sharpe ratios);
"fitness" is the GA's own objective evaluated on the test windows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.backtest import baselines
from core.backtest import enums as E
from core.backtest.api import decode_matrix, run_kernel, window_detail
from core.backtest.dataset import Dataset
from core.backtest.enums import M_SCORE, METRIC_NAMES, N_METRICS
from core.backtest.stats_nb import (SCORE_W_DD, SCORE_W_PF, SCORE_W_SHARPE, SCORE_W_WIN,
                                    fitness_from_scores_nb)
from core.regimes import N_REGIMES, REGIME_NAMES
from core.report.intervals import block_length

RANDOM_GENOMES = 200  # enough for a stable median; one kernel call
RANDOM_SEED = 0
REPORTED_METRICS = ("sharpe", "max_drawdown", "win_rate", "profit_factor", "total_return", "trades")
LABELS = {"evolved": "evolved genome", "hold_entries": "buy & hold (each entry to window end)",
          "basket": "buy & hold (equal-weight basket)", "stop_loss": "fixed stop-loss",
          "trailing": "fixed trailing stop", "take_profit": "fixed take-profit",
          "random_median": "random genomes (median)"}
FIXED_KINDS = baselines.STOP_KINDS


@dataclass
class StrategyResult:
    key: str
    label: str
    window_metrics: np.ndarray  # (W_test, N_METRICS), columns METRIC_NAMES
    test_fitness: float
    train_fitness: float | None = None
    level: float | None = None  # fixed-stop level chosen on training windows (fraction)
    params: np.ndarray | None = None  # raw kernel row, for equity curves
    overall: dict[str, float] = field(default_factory=dict)
    regimes: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class WalkForwardResult:
    strategies: dict[str, StrategyResult]
    test_regimes: list[str]  # regime of each test window
    train_windows: int
    test_windows: int
    random_genomes: int
    random_seed: int
    mean_equity: dict[str, np.ndarray]  # equity / initial, averaged over test windows, by bar
    rules: str = "same_rules"  # or "equal_exposure" (see the module docstring)
    evolved_position_cap: float = 1.0  # fraction of equity per position, as the genome decodes it
    block: int = 1  # bootstrap block length in windows


def _metric_means(window_metrics: np.ndarray) -> dict[str, float]:
    return {name: float(window_metrics[:, METRIC_NAMES.index(name)].mean()) for name in REPORTED_METRICS}


def _by_regime(window_metrics: np.ndarray, window_regime: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for r in range(N_REGIMES):
        mask = window_regime == r
        if mask.any():
            out[REGIME_NAMES[r]] = dict(_metric_means(window_metrics[mask]), windows=int(mask.sum()))
    return out


def _fitness(scores: np.ndarray, window_regime: np.ndarray) -> float:
    return float(fitness_from_scores_nb(np.ascontiguousarray(scores, dtype=np.float64),
                                        np.ascontiguousarray(window_regime, dtype=np.int64), N_REGIMES))


def basket_metrics(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(window metrics (W, N_METRICS), mean equity / initial by bar) of the equal-weight basket."""
    c = dataset.config
    out = np.zeros((dataset.n_windows, N_METRICS))
    curves = np.zeros((dataset.n_windows, c.window_bars))
    for w in range(dataset.n_windows):
        b = baselines.basket_window(dataset.open, dataset.close, dataset.participation[w],
                                    int(dataset.window_starts[w]), c.window_bars, c.fee_pct, c.slippage_pct,
                                    c.initial_cash_usd, dataset.periods_per_year)
        row = dict(total_return=b.total_return, sharpe=b.sharpe, max_drawdown=b.max_drawdown,
                   win_rate=b.win_rate, profit_factor=b.profit_factor,
                   trades=float(dataset.participation[w].sum()))
        row["score"] = (SCORE_W_SHARPE * b.sharpe + SCORE_W_DD * (1.0 - b.max_drawdown)
                        + SCORE_W_WIN * b.win_rate + SCORE_W_PF * b.profit_factor)
        out[w] = [row[name] for name in METRIC_NAMES]
        curves[w] = b.equity_usd / c.initial_cash_usd
    return out, curves.mean(axis=0)


RULES = ("same_rules", "equal_exposure")
PORTFOLIO_COLUMNS = (E.CONC_LIMIT, E.CORR_LIMIT, E.MAX_DD)  # the genome's portfolio rules


def apply_rules(params: np.ndarray, rules: str, evolved_row: np.ndarray) -> np.ndarray:
    """A copy of `params` (P, 22) under `rules`: the evolved genome's portfolio columns, or the
    neutral ones (equal weight, gate open, breaker off)."""
    out = np.array(params, dtype=np.float64, copy=True)
    neutral = baselines.neutral_params()
    source = evolved_row if rules == "same_rules" else neutral
    if rules not in RULES:
        raise ValueError(f"unknown rules {rules!r}; expected one of {', '.join(RULES)}")
    for col in PORTFOLIO_COLUMNS:
        out[..., col] = source[col]
    return out


def best_fixed_levels(train: Dataset, rules: str = "equal_exposure", evolved_row: np.ndarray | None = None
                      ) -> dict[str, tuple[float, float]]:
    """kind -> (level, training fitness) of the best level of each fixed exit on the training
    windows, chosen under the same portfolio rules it is then tested with."""
    row = evolved_row if evolved_row is not None else baselines.neutral_params()
    chosen = {}
    for kind in FIXED_KINDS:
        levels, params = baselines.fixed_stop_grid(kind)
        fitness, _ = run_kernel(train, apply_rules(params, rules, row))
        best = int(np.argmax(fitness))  # first maximum: the tighter level wins a tie
        chosen[kind] = (float(levels[best]), float(fitness[best]))
    return chosen


def mean_equity_curve(dataset: Dataset, params_row: np.ndarray) -> np.ndarray:
    """Equity / initial cash by bar, averaged over the dataset's windows. Test windows overlap
    (step 45 < 180 bars), so they are averaged, not chained: chaining would count bars twice."""
    curves = [window_detail(dataset, params_row, w).equity for w in range(dataset.n_windows)]
    return np.mean(curves, axis=0) / dataset.config.initial_cash_usd


def compare(train: Dataset, test: Dataset, best_genes: np.ndarray, random_genomes: int = RANDOM_GENOMES,
            random_seed: int = RANDOM_SEED, rules: str = "same_rules") -> WalkForwardResult:
    """Every strategy on the test windows under `rules` (see the module docstring)."""
    regimes = test.window_regime
    evolved_row = decode_matrix(np.asarray(best_genes, dtype=np.float64))[0]
    rows: dict[str, tuple[np.ndarray, float | None]] = {
        "evolved": (evolved_row, None), "hold_entries": (baselines.hold_params(), None)}
    levels = best_fixed_levels(train, rules, evolved_row)
    for kind, (level, _) in levels.items():
        rows[kind] = (baselines.fixed_stop_params(kind, level), level)
    keys = list(rows)
    params = apply_rules(np.stack([rows[k][0] for k in keys]), rules, evolved_row)
    if rules == "same_rules":
        params[0] = evolved_row  # bit for bit the genome as evolved
    test_fit, test_metrics = run_kernel(test, params)
    train_fit, _ = run_kernel(train, params)
    strategies = {}
    for i, key in enumerate(keys):
        strategies[key] = StrategyResult(key, LABELS[key], test_metrics[i], float(test_fit[i]),
                                         float(train_fit[i]), rows[key][1], params[i])
    basket, basket_curve = basket_metrics(test)
    basket_train, _ = basket_metrics(train)
    strategies["basket"] = StrategyResult("basket", LABELS["basket"], basket, _fitness(basket[:, M_SCORE], regimes),
                                          _fitness(basket_train[:, M_SCORE], train.window_regime))
    strategies["random_median"] = _random_median(train, test, random_genomes, random_seed, rules, evolved_row)
    for s in strategies.values():
        if not s.overall:
            s.overall = dict(_metric_means(s.window_metrics), fitness=s.test_fitness)
            s.regimes = _by_regime(s.window_metrics, regimes)
    order = ["evolved", "stop_loss", "trailing", "take_profit", "hold_entries", "basket", "random_median"]
    curves = {k: mean_equity_curve(test, strategies[k].params) for k in order if strategies[k].params is not None}
    curves["basket"] = basket_curve
    block = block_length(test.config.window_bars, test.config.window_step_bars)
    return WalkForwardResult({k: strategies[k] for k in order}, test.window_regime_names(), train.n_windows,
                             test.n_windows, random_genomes, random_seed, curves, rules,
                             float(evolved_row[E.CONC_LIMIT]), block)


def _random_median(train: Dataset, test: Dataset, n: int, seed: int, rules: str = "same_rules",
                   evolved_row: np.ndarray | None = None) -> StrategyResult:
    """Median over random genomes, metric by metric (so it is no single genome). Its window_metrics
    are the medians per window, its equity curve that of the genome with the median test fitness.
    Under `same_rules` the random genomes' portfolio genes are replaced by the evolved genome's."""
    genes = np.random.default_rng(seed).random((n, 22))
    params = decode_matrix(genes)
    if evolved_row is not None:
        params = apply_rules(params, rules, evolved_row)
    test_fit, metrics = run_kernel(test, params)
    train_fit, _ = run_kernel(train, params)
    per_genome = [_metric_means(metrics[p]) for p in range(n)]
    overall = {name: float(np.median([g[name] for g in per_genome])) for name in REPORTED_METRICS}
    overall["fitness"] = float(np.median(test_fit))
    regimes = {}
    for r in range(N_REGIMES):
        mask = test.window_regime == r
        if mask.any():
            per = [_metric_means(metrics[p][mask]) for p in range(n)]
            regimes[REGIME_NAMES[r]] = {name: float(np.median([g[name] for g in per])) for name in REPORTED_METRICS}
            regimes[REGIME_NAMES[r]]["windows"] = int(mask.sum())
    median_genome = int(np.argsort(test_fit)[n // 2])
    return StrategyResult("random_median", LABELS["random_median"], np.median(metrics, axis=0),
                          float(np.median(test_fit)), float(np.median(train_fit)), None, params[median_genome],
                          overall, regimes)
