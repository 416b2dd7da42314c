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
