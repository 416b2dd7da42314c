"""The engine's public surface: decode a population, evaluate it in one kernel call, explain one
genome window by window. Callers (CLI, evolution, monitor) never touch the kernel directly."""
from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.backtest.dataset import BacktestConfig, Dataset, build_dataset
from core.backtest.enums import M_SCORE, MAX_HOLD, METRIC_NAMES, N_METRICS, Costs, EntrySignals, Market
from core.backtest.kernel_nb import evaluate_population_nb, new_scratch_nb, simulate_windows_nb
from core.backtest.signals_nb import entry_signals_nb
from core.genome import GENE_SPECS, N_GENES, Decoding, validate_genes
from core.market.loader import load_many
from core.market.ohlcv import OHLCV
from core.regimes import N_REGIMES, REGIME_MULT, REGIME_NAMES

__all__ = ["BacktestConfig", "Dataset", "build_dataset", "load_dataset", "decode_matrix",
           "evaluate_population", "PopulationResult", "window_detail", "span_detail", "WindowDetail"]


def load_dataset(paths: list[str | Path], config: BacktestConfig | None = None,
                 load: Callable[[list], list[OHLCV]] | None = None) -> Dataset:
    """`load` turns the items into series (the console's hl: resolver); CSV files by default."""
    return build_dataset((load or load_many)(paths), config)


def decode_matrix(genes: np.ndarray) -> np.ndarray:
    """Decode (P, 22) genes to the kernel's parameter matrix, exactly as core.genome.decode does."""
    g = np.atleast_2d(np.asarray(genes, dtype=np.float64))
    if g.shape[1] != N_GENES:
        raise ValueError(f"genes must have shape (P, {N_GENES})")
    if not ((g >= 0.0) & (g <= 1.0)).all():  # NaN fails too; per row only then, for the message
        for row in g:
            validate_genes(row)
    out = np.empty_like(g)
    for spec in GENE_SPECS:
        col = g[:, spec.index]
        if spec.decoding is Decoding.LINEAR:
            out[:, spec.index] = spec.low + (spec.high - spec.low) * col
        elif spec.decoding is Decoding.FLOOR:
            out[:, spec.index] = spec.low + np.floor((spec.high - spec.low) * col)
        elif spec.decoding is Decoding.FLAG:
            out[:, spec.index] = (col > 0.5).astype(np.float64)
        else:
            out[:, spec.index] = col
    w = out[:, 19:22]
    total = w.sum(axis=1, keepdims=True)
    out[:, 19:22] = np.where(total > 0, w / np.where(total > 0, total, 1.0), 1.0 / 3.0)
    return out


@dataclass(frozen=True)
class PopulationResult:
    fitness: np.ndarray  # (P,)
    metrics: np.ndarray  # (P, W, N_METRICS), columns METRIC_NAMES
    window_regime: np.ndarray  # (W,) regime codes
    eval_seconds: float

    def regime_scores(self, p: int) -> dict[str, float]:
        """Mean window score per regime for genome p (regimes without windows are left out)."""
        out = {}
        scores = self.metrics[p, :, M_SCORE]
        for r in range(N_REGIMES):
            mask = self.window_regime == r
            if mask.any():
                out[REGIME_NAMES[r]] = float(scores[mask].mean())
        return out

    def summary(self, p: int) -> dict[str, float]:
        m = self.metrics[p]
        return {name: float(m[:, j].mean()) for j, name in enumerate(METRIC_NAMES)}


def to_bars(dataset: Dataset, params: np.ndarray) -> np.ndarray:
    """Decoded parameters with the day-valued time exit in the data's bars (the kernel counts
    bars; gene 9's lookback is already a slot of day-based indicators, see dataset.py). A copy,
    contiguous float64; unchanged values on daily data."""
    out = np.array(params, dtype=np.float64, copy=True, order="C")
    if dataset.bars_per_day != 1.0:
        out[..., MAX_HOLD] = out[..., MAX_HOLD] * dataset.bars_per_day
    return out


def market_arrays(dataset: Dataset) -> Market:
    """The dataset's arrays as the kernel reads them."""
    d = dataset
    return Market(d.open, d.high, d.low, d.close, d.vol, d.avg_vol, d.atr, d.regime, d.momentum, d.entry_long,
                  d.entry_short, d.corr, REGIME_MULT)


def costs_of(dataset: Dataset, tick_sz_decimals: np.ndarray | None = None) -> Costs:
    """The dataset's costs; tick_sz_decimals (per asset, the venue's szDecimals) switches on
    venue-tick execution (the replay only)."""
    c = dataset.config
    ticks = None if tick_sz_decimals is None else np.ascontiguousarray(tick_sz_decimals, dtype=np.int64)
    return Costs(c.fee_pct, c.slippage_pct, c.initial_cash_usd, c.sides == "both", dataset.periods_per_year, ticks)


_SIGNALS: "weakref.WeakKeyDictionary[Dataset, EntrySignals]" = weakref.WeakKeyDictionary()


def window_signals(dataset: Dataset) -> EntrySignals:
    """The entry signals of the dataset's windows (signals_nb), built on the first kernel call and
    kept with the dataset: they depend on it alone, and evolution calls the kernel every generation."""
    signals = _SIGNALS.get(dataset)
    if signals is None:
        signals = entry_signals_nb(dataset.window_starts, dataset.config.window_bars, dataset.participation,
                                   market_arrays(dataset), costs_of(dataset).allow_short)
        _SIGNALS[dataset] = signals
    return signals


def run_kernel(dataset: Dataset, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Call the kernel with an already-decoded parameter matrix (tests use raw parameters)."""
    market, costs = market_arrays(dataset), costs_of(dataset)
    return evaluate_population_nb(
        to_bars(dataset, params), dataset.window_starts, dataset.config.window_bars, dataset.participation,
        dataset.window_regime, N_REGIMES, window_signals(dataset), market, costs)


def evaluate_population(dataset: Dataset, genes: np.ndarray) -> PopulationResult:
    """Fitness of every genome (P, 22) over every window of the dataset, in one kernel call."""
    params = decode_matrix(genes)
    t0 = time.perf_counter()
    fitness, metrics = run_kernel(dataset, params)
    elapsed = time.perf_counter() - t0
    if not np.all(np.isfinite(fitness)):
        raise FloatingPointError("kernel produced a non-finite fitness")  # a bug, never data
    return PopulationResult(fitness=fitness, metrics=metrics, window_regime=dataset.window_regime,
                            eval_seconds=elapsed)


@dataclass(frozen=True)
class WindowDetail:
    trades: np.ndarray  # exit events, enums.trade_dt records in the order they happened
    equity: np.ndarray  # mark-to-market equity at each close (USD)
    states: np.ndarray  # breaker state at each close
    metrics: np.ndarray  # N_METRICS, columns METRIC_NAMES


def span_detail(dataset: Dataset, params_row: np.ndarray, w0: int, n_bars: int, participates: np.ndarray,
                max_events: int = 10_000, tick_sz_decimals: np.ndarray | None = None) -> WindowDetail:
    """One decoded genome on any span of bars with every exit event (replay runs one long span):
    the one reader of the kernel's trade records for every caller. tick_sz_decimals: see costs_of."""
    scratch = new_scratch_nb(len(dataset.names), n_bars, max_events)
    participates = np.ascontiguousarray(participates, dtype=np.bool_)
    market, costs = market_arrays(dataset), costs_of(dataset, tick_sz_decimals)
    starts = np.array([w0], dtype=np.int64)
    signals = entry_signals_nb(starts, int(n_bars), participates[None, :], market, costs.allow_short)
    metrics = np.zeros((1, 1, N_METRICS))
    simulate_windows_nb(0, 1, to_bars(dataset, params_row)[None, :], starts, int(n_bars), participates[None, :],
                        signals, market, costs, scratch, metrics)
    n = int(scratch.account[0]["n_records"])
    return WindowDetail(scratch.trades[:n].copy(), scratch.equity, scratch.states, metrics[0, 0])


def window_detail(dataset: Dataset, params_row: np.ndarray, window: int, max_events: int = 10_000
                  ) -> WindowDetail:
    """One decoded genome on one window with every exit event: the view behind a fitness number."""
    return span_detail(dataset, params_row, int(dataset.window_starts[window]), dataset.config.window_bars,
                       dataset.participation[window], max_events)
