"""Shared builders for kernel tests: neutral raw parameters and tiny hand-made markets."""
from __future__ import annotations

import numpy as np

from core.backtest.baselines import neutral_params  # noqa: F401  (re-exported for the kernel tests)
from core.market.ohlcv import NS_PER_DAY, OHLCV


def make_series(name: str, close: np.ndarray, wick: float = 0.01, gap: float = 0.0) -> OHLCV:
    """Daily bars from a close path: open = previous close x (1 + gap), wicks of `wick`."""
    close = np.asarray(close, dtype=np.float64)
    open_ = np.concatenate(([close[0]], close[:-1])) * (1 + gap)
    high = np.maximum(open_, close) * (1 + wick)
    low = np.minimum(open_, close) * (1 - wick)
    t = 1_514_764_800 * 10**9 + np.arange(close.shape[0], dtype=np.int64) * NS_PER_DAY
    return OHLCV(name, t, open_, high, low, close, np.ones_like(close))


def tiny_dataset(closes: dict, **cfg):
    """A one-window dataset of the given close paths, without fees or slippage."""
    from core.backtest.api import BacktestConfig, build_dataset

    series = [make_series(name, c, wick=0.002) for name, c in closes.items()]
    n = len(next(iter(closes.values())))
    return build_dataset(series, BacktestConfig(window_bars=n - 1, window_step_bars=1000, fee_pct=0.0,
                                                slippage_pct=0.0, **cfg))


def with_entries(ds, long_bars=(), short_bars=(), asset=0):
    """The dataset with entry signals exactly at the given bars (filled at the next open)."""
    import dataclasses

    el = np.zeros_like(ds.entry_long)
    es = np.zeros_like(ds.entry_short)
    for b in long_bars:
        el[asset, b] = True
    for b in short_bars:
        es[asset, b] = True
    return dataclasses.replace(ds, entry_long=el, entry_short=es)
