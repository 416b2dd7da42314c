"""Shared builders for kernel tests: neutral raw parameters and tiny hand-made markets."""
from __future__ import annotations

import numpy as np

from core.backtest import enums as E
from core.market.ohlcv import NS_PER_DAY, OHLCV


def neutral_params(**overrides: float) -> np.ndarray:
    """Raw kernel parameters that switch every adaptive rule off (plain fixed stops), for oracle
    comparisons; keyword names are the enums' column constants in lower case."""
    p = np.zeros(E.N_PARAMS)
    p[E.SL_PCT] = 0.5
    p[E.ATR_MULT] = 0.0
    p[E.TRAIL_PCT] = 0.3
    p[E.TRAIL_ACT] = 1e9  # never armed
    p[E.TP_PCT] = 0.6
    p[E.TP_LEVELS] = 1
    p[E.VOL_MULT] = 0.0
    p[E.VOL_LOOKBACK] = 20
    p[E.HIGH_VOL_RATIO] = 1e9
    p[E.MAX_HOLD] = 1e9
    p[E.TIME_DECAY] = 1.0
    p[E.MAX_DD] = 1e9
    p[E.CORR_LIMIT] = 10.0
    p[E.CONC_LIMIT] = 1.0
    p[E.NEWS_VOL_MULT] = 1.0
    p[E.W_SL], p[E.W_TRAIL], p[E.W_TP] = 1 / 3, 1 / 3, 1 / 3
    for name, value in overrides.items():
        p[getattr(E, name.upper())] = value
    return p


def make_series(name: str, close: np.ndarray, wick: float = 0.01, gap: float = 0.0) -> OHLCV:
    """Daily bars from a close path: open = previous close x (1 + gap), wicks of `wick`."""
    close = np.asarray(close, dtype=np.float64)
    open_ = np.concatenate(([close[0]], close[:-1])) * (1 + gap)
    high = np.maximum(open_, close) * (1 + wick)
    low = np.minimum(open_, close) * (1 - wick)
    t = 1_514_764_800 * 10**9 + np.arange(close.shape[0], dtype=np.int64) * NS_PER_DAY
    return OHLCV(name, t, open_, high, low, close, np.ones_like(close))
