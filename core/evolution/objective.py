"""What an evolution optimises, computed from the kernel's per-window metrics (SPEC section 4).

Fitness kinds (`EvolutionConfig.fitness`, default `nsga2`: the best of the three out of sample in
bench/bench_oos.py, though no mode beats the best fixed stop at equal exposure in most runs):
- `dn`: the design note's fitness (0.4 Sharpe + 0.3 (1 - max DD) + 0.2 win rate + 0.1 PF per
  window, regime-balanced). Its (1 - max DD) term pays a genome for simply holding less;
- `neutral`: exposure-neutral: the drawdown term becomes return / max drawdown (clipped to
  +-3, scaled to +-1), which, like Sharpe, win rate and profit factor, does not change when every
  position is scaled down, so holding less cannot pass for managing risk;
- `nsga2`: two objectives, mean window return and mean window max drawdown, selected with DEAP's
  selNSGA2; the scalar column (for the hall of fame and the logbook) is the `dn` fitness.

Inner validation (`folds` k >= 1): the training windows are cut, in time order, into k folds and
a final validation block, with `purge` windows dropped at every boundary (a window sharing bars
with the next block would leak it). Fitness = mean of the k fold fitnesses minus
`dispersion_penalty` x their std; the validation block is never seen by the fitness and decides
which genome the run returns (core.evolution.runner).

An Objective is a small frozen dataclass so the cluster can ship it to workers with the dataset:
the same code scores a chunk there as here, bit for bit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from core.backtest.enums import M_MAXDD, M_PF, M_RETURN, M_SCORE, M_SHARPE, M_TRADES, M_WINRATE
from core.regimes import N_REGIMES

FITNESS_KINDS = ("dn", "neutral", "nsga2")
AUTO_FOLDS = 2  # what folds=-1 means when the training windows hold them (bench/RESULTS.md)
VALIDATION_FRACTION = 0.25  # share of the training windows held back to choose the returned genome
CALMAR_CLIP = 3.0  # return / max drawdown beyond +-3 adds nothing (one lucky window must not dominate)
NEUTRAL_W_SHARPE, NEUTRAL_W_CALMAR, NEUTRAL_W_WIN, NEUTRAL_W_PF = 0.4, 0.3, 0.2, 0.1
PF_CAP = 3.0


def neutral_scores(metrics: np.ndarray) -> np.ndarray:
    """Exposure-neutral window scores (P, W) from kernel metrics (P, W, N_METRICS)."""
    dd = metrics[..., M_MAXDD]
    ret = metrics[..., M_RETURN]
    with np.errstate(divide="ignore", invalid="ignore"):
        calmar = np.where(dd > 1e-9, ret / np.where(dd > 1e-9, dd, 1.0), 0.0)
    calmar = np.clip(calmar, -CALMAR_CLIP, CALMAR_CLIP) / CALMAR_CLIP
    calmar = np.where(metrics[..., M_TRADES] > 0, calmar, 0.0)
    return (NEUTRAL_W_SHARPE * metrics[..., M_SHARPE] + NEUTRAL_W_CALMAR * calmar
            + NEUTRAL_W_WIN * metrics[..., M_WINRATE] + NEUTRAL_W_PF * np.minimum(metrics[..., M_PF], PF_CAP))


def regime_fitness(scores: np.ndarray, window_regime: np.ndarray) -> np.ndarray:
    """The design note's aggregation (mean of regime means x 1 / (1 + their std)) per genome."""
    from core.backtest.stats_nb import fitness_from_scores_nb

    reg = np.ascontiguousarray(window_regime, dtype=np.int64)
    return np.array([fitness_from_scores_nb(np.ascontiguousarray(row, dtype=np.float64), reg, N_REGIMES)
                     for row in np.atleast_2d(scores)])


def inner_blocks(n_windows: int, folds: int, purge: int) -> tuple[list[np.ndarray], np.ndarray]:
    """(k fold index arrays, validation index array) over windows 0..n-1 in time order, `purge`
    windows dropped before each block after the first. ValueError when too few windows remain."""
    n_val = max(1, int(math.ceil(n_windows * VALIDATION_FRACTION)))
    val = np.arange(n_windows - n_val, n_windows)
    usable = n_windows - n_val - purge - purge * (folds - 1)
    if usable < folds:
        raise ValueError(f"{n_windows} training windows are too few for {folds} folds, a validation block and "
                         f"{purge} purged windows at each boundary")
    sizes = [usable // folds + (1 if i < usable % folds else 0) for i in range(folds)]
    out, start = [], 0
    for size in sizes:
        out.append(np.arange(start, start + size))
        start += size + purge
    return out, val


@dataclass(frozen=True)
class Objective:
    """fitness kind, inner folds (0 = off), dispersion penalty, purge (windows)."""

    fitness: str = "dn"
    folds: int = 0
    dispersion_penalty: float = 0.5
    purge: int = 3

    @property
    def columns(self) -> int:
        """1 (scalar fitness) or 3 (scalar, mean return, -mean max drawdown) for NSGA-II."""
        return 3 if self.fitness == "nsga2" else 1

    def window_scores(self, metrics: np.ndarray) -> np.ndarray:
        return neutral_scores(metrics) if self.fitness == "neutral" else metrics[..., M_SCORE]

    def fitted(self, n_windows: int) -> "Objective":
        """folds=-1 (auto) resolved for a training set of n_windows: AUTO_FOLDS if they fit, else 0."""
        if self.folds >= 0:
            return self
        try:
            inner_blocks(n_windows, AUTO_FOLDS, self.purge)
        except ValueError:
            return replace(self, folds=0)
        return replace(self, folds=AUTO_FOLDS)

    def _windows(self, n_windows: int) -> tuple[list[np.ndarray], np.ndarray | None]:
        if self.folds < 0:
            raise ValueError("resolve folds=-1 with Objective.fitted(n_windows) first")
        if self.folds == 0:
            return [np.arange(n_windows)], None
        return inner_blocks(n_windows, self.folds, self.purge)

    def from_metrics(self, metrics: np.ndarray, window_regime: np.ndarray) -> np.ndarray:
        """(P,) or (P, 3) fitness from kernel metrics (P, W, N_METRICS) of the training windows."""
        scores = self.window_scores(metrics)
        folds, _ = self._windows(metrics.shape[1])
        per_fold = np.stack([regime_fitness(scores[:, f], window_regime[f]) for f in folds], axis=1)
        scalar = per_fold.mean(axis=1)
        if len(folds) > 1:
            scalar = scalar - self.dispersion_penalty * per_fold.std(axis=1)
        if self.fitness != "nsga2":
            return scalar
        used = np.concatenate(folds)
        return np.stack([scalar, metrics[:, used, M_RETURN].mean(axis=1),
                         -metrics[:, used, M_MAXDD].mean(axis=1)], axis=1)

    def validation_from_metrics(self, metrics: np.ndarray, window_regime: np.ndarray) -> np.ndarray | None:
        """Fitness on the validation block only (None without inner validation)."""
        _, val = self._windows(metrics.shape[1])
        if val is None:
            return None
        return regime_fitness(self.window_scores(metrics)[:, val], window_regime[val])

    def __call__(self, dataset: Any, genes: np.ndarray) -> np.ndarray:
        """The cluster's chunk function: (Dataset, genes (n, 22)) -> fitness, as locally."""
        from core.backtest.api import evaluate_population

        result = evaluate_population(dataset, genes)
        return self.from_metrics(result.metrics, dataset.window_regime)

    def describe(self) -> str:
        kind = {"dn": "design-note fitness", "neutral": "exposure-neutral fitness",
                "nsga2": "NSGA-II over mean return and mean max drawdown"}[self.fitness]
        if self.folds <= 0:
            return kind + ", no inner validation"
        return (f"{kind}, {self.folds} inner folds (mean - {self.dispersion_penalty} x std), {self.purge} windows "
                f"purged at each boundary, the returned genome chosen on the last {VALIDATION_FRACTION:.0%} of "
                "training windows")
