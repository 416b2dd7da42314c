"""Numba indicator kernels on one asset's full history. Every value at bar t uses bars <= t only."""
from __future__ import annotations

import core.numba_cache  # noqa: F401  (first: keys numba's cache on every kernel source)
import math

import numpy as np
from numba import njit

from core.regimes import DECISION_LOOKBACK_BARS, regime_code

regime_code_nb = njit(cache=True, nogil=True)(regime_code)


@njit(cache=True, nogil=True)
def rolling_return_std_nb(close: np.ndarray, lookback_bars: int) -> np.ndarray:
    """Sample std (ddof=1) of simple returns over the last `lookback_bars` returns; NaN before.

    Args:
        close: closes, shape (T,).
        lookback_bars: number of returns in the window (>= 2).
    """
    n = close.shape[0]
    out = np.full(n, np.nan)
    for t in range(lookback_bars, n):
        s = 0.0
        for i in range(t - lookback_bars + 1, t + 1):
            s += close[i] / close[i - 1] - 1.0
        mean = s / lookback_bars
        ss = 0.0
        for i in range(t - lookback_bars + 1, t + 1):
            d = close[i] / close[i - 1] - 1.0 - mean
            ss += d * d
        out[t] = math.sqrt(ss / (lookback_bars - 1))
    return out


@njit(cache=True, nogil=True)
def rolling_mean_nb(x: np.ndarray, lookback_bars: int) -> np.ndarray:
    """Mean of the last `lookback_bars` values; NaN unless all of them are finite."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for t in range(lookback_bars - 1, n):
        s = 0.0
        ok = True
        for i in range(t - lookback_bars + 1, t + 1):
            if not np.isfinite(x[i]):
                ok = False
                break
            s += x[i]
        if ok:
            out[t] = s / lookback_bars
    return out


@njit(cache=True, nogil=True)
def atr_pct_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray, lookback_bars: int) -> np.ndarray:
    """Average true range over `lookback_bars` bars as a fraction of the close; NaN before."""
    n = close.shape[0]
    tr = np.full(n, np.nan)
    for t in range(1, n):
        a = high[t] - low[t]
        b = abs(high[t] - close[t - 1])
        c = abs(low[t] - close[t - 1])
        tr[t] = max(a, max(b, c))
    out = np.full(n, np.nan)
    for t in range(lookback_bars, n):
        s = 0.0
        for i in range(t - lookback_bars + 1, t + 1):
            s += tr[i]
        out[t] = s / lookback_bars / close[t]
    return out


@njit(cache=True, nogil=True)
def momentum_nb(close: np.ndarray, lookback_bars: int) -> np.ndarray:
    """close / close `lookback_bars` ago - 1; NaN before."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    for t in range(lookback_bars, n):
        out[t] = close[t] / close[t - lookback_bars] - 1.0
    return out


@njit(cache=True, nogil=True)
def quantile_sorted_nb(sorted_x: np.ndarray, q: float) -> float:
    """Linear-interpolation quantile of an ascending array (numpy's default method)."""
    pos = q * (sorted_x.shape[0] - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, sorted_x.shape[0] - 1)
    return sorted_x[lo] + (sorted_x[hi] - sorted_x[lo]) * (pos - lo)


@njit(cache=True, nogil=True)
def momentum_entries_nb(close: np.ndarray, ret_bars: int, history_bars: int, q_long: float,
                        q_short: float) -> tuple:
    """Entry signals at the close of bar t: the `ret_bars` return above the q_long quantile (long)
    or below the q_short quantile (short) of the same return over the previous `history_bars`
    bars (t excluded, so there is no look-ahead)."""
    n = close.shape[0]
    r = momentum_nb(close, ret_bars)
    long_sig = np.zeros(n, dtype=np.bool_)
    short_sig = np.zeros(n, dtype=np.bool_)
    buf = np.empty(history_bars)
    for t in range(ret_bars + history_bars, n):
        for k in range(history_bars):
            buf[k] = r[t - history_bars + k]
        srt = np.sort(buf)
        if r[t] > quantile_sorted_nb(srt, q_long):
            long_sig[t] = True
        if r[t] < quantile_sorted_nb(srt, q_short):
            short_sig[t] = True
    return long_sig, short_sig


@njit(cache=True, nogil=True)
def decision_regimes_nb(close: np.ndarray, periods_per_year: float) -> np.ndarray:
    """Regime code at every bar from the trailing DECISION_LOOKBACK_BARS bars."""
    n = close.shape[0]
    out = np.empty(n, dtype=np.int8)
    for t in range(n):
        start = max(0, t + 1 - DECISION_LOOKBACK_BARS)
        out[t] = regime_code_nb(close, start, t + 1, periods_per_year)
    return out


@njit(cache=True, nogil=True)
def rolling_correlation_nb(close: np.ndarray, lookback_bars: int) -> np.ndarray:
    """Pairwise Pearson correlation of simple returns over the last `lookback_bars` returns.

    Args:
        close: closes on a common time axis, shape (A, T), NaN where an asset has no bar.
    Returns:
        (T, A, A); NaN where either asset lacks a full window.
    """
    n_assets, n = close.shape
    ret = np.full((n_assets, n), np.nan)
    for a in range(n_assets):
        for t in range(1, n):
            ret[a, t] = close[a, t] / close[a, t - 1] - 1.0
    out = np.full((n, n_assets, n_assets), np.nan)
    for t in range(lookback_bars, n):
        for i in range(n_assets):
            out[t, i, i] = 1.0
            for j in range(i + 1, n_assets):
                sx = sy = sxx = syy = sxy = 0.0
                ok = True
                for k in range(t - lookback_bars + 1, t + 1):
                    x = ret[i, k]
                    y = ret[j, k]
                    if not (np.isfinite(x) and np.isfinite(y)):
                        ok = False
                        break
                    sx += x
                    sy += y
                    sxx += x * x
                    syy += y * y
                    sxy += x * y
                if not ok:
                    continue
                m = lookback_bars
                cov = sxy - sx * sy / m
                vx = sxx - sx * sx / m
                vy = syy - sy * sy / m
                if vx > 0.0 and vy > 0.0:
                    c = cov / math.sqrt(vx * vy)
                    out[t, i, j] = c
                    out[t, j, i] = c
    return out
