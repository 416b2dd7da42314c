"""Statistics of the stop study: per exit kind and stop level, overall and per window regime.

Every statistic is over (asset, window) samples: with 10 coins and 400 windows each cell of a
table summarises 4,000 backtests. "Beats hold" compares a backtest with the hold backtest of
the same coin and window, so it measures the exit rule, not the market.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.regimes import REGIME_NAMES
from core.study.enums import ExitKind
from core.study.runner import StudyResult


@dataclass(frozen=True)
class KindLevelStats:
    """Arrays of shape (n_kinds, n_levels) over a set of (asset, window) samples."""

    n_samples: int
    mean_return: np.ndarray
    median_return: np.ndarray
    win_rate: np.ndarray  # share of backtests with total return > 0
    beat_hold_share: np.ndarray  # share with total return > the same window's hold return
    mean_bars_held: np.ndarray  # mean bars from entry to exit
    early_exit_share: np.ndarray  # share that exited before the window's last bar


@dataclass(frozen=True)
class StudyStats:
    overall: KindLevelStats
    by_regime: dict[str, KindLevelStats]  # only regimes that occur
    asset_mean_return: np.ndarray  # (n_assets, n_kinds, n_levels), mean over windows


def _stats(returns: np.ndarray, offsets: np.ndarray, window_bars: int) -> KindLevelStats:
    """returns/offsets: (n_samples, n_kinds, n_levels)."""
    n_samples = returns.shape[0]
    if n_samples == 0:
        empty = np.full(returns.shape[1:], np.nan)
        return KindLevelStats(0, empty, empty, empty, empty, empty, empty)
    hold = returns[:, ExitKind.Hold, :1]  # (n_samples, 1): broadcasts over levels
    return KindLevelStats(
        n_samples=n_samples,
        mean_return=returns.mean(axis=0),
        median_return=np.median(returns, axis=0),
        win_rate=(returns > 0).mean(axis=0),
        beat_hold_share=(returns > hold[:, None, :]).mean(axis=0),
        mean_bars_held=offsets.mean(axis=0),
        early_exit_share=(offsets < window_bars - 1).mean(axis=0),
    )


def aggregate(result: StudyResult) -> StudyStats:
    """Overall, per-regime and per-asset statistics of a study result."""
    n_assets, n_windows, n_kinds, n_levels = result.total_returns.shape
    flat_returns = result.total_returns.reshape(n_assets * n_windows, n_kinds, n_levels)
    flat_offsets = result.exit_offsets.reshape(n_assets * n_windows, n_kinds, n_levels)
    flat_regimes = result.regimes.reshape(-1)
    bars = result.config.window_bars
    by_regime = {}
    for code, name in enumerate(REGIME_NAMES):
        mask = flat_regimes == code
        if mask.any():
            by_regime[name] = _stats(flat_returns[mask], flat_offsets[mask], bars)
    return StudyStats(
        overall=_stats(flat_returns, flat_offsets, bars),
        by_regime=by_regime,
        asset_mean_return=result.total_returns.mean(axis=1),
    )
