"""Candle-derived inputs of the stop policy and the correlation figure, in plain numpy.

The formulas are the backtest's (core/backtest/indicators_nb.py) evaluated at the last completed
bar only: sample std of simple returns over vol_lookback, avg_vol = mean of that std over the
last 100 bars, ATR = mean true range over vol_lookback / close, momentum = 20-bar return, and the
decision-time regime from core.regimes. They read completed UTC-day candles, rebuilt by
`completed_daily` from whatever candles the monitor fetches with the backtest's rule
(core/market/daily_range.py): the ATR is a daily one on every interval, as the kernel's is.
Missing history gives the kernel's own fallbacks (vol ratio 1.0, ATR 0, no trend).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.market.daily_range import completed_days, daily_bars
from core.regimes import DECISION_LOOKBACK_BARS, SIDEWAYS_STABLE, regime_code

AVG_VOL_BARS = 100  # same as core.backtest.dataset.AVG_VOL_BARS
MOMENTUM_BARS = 20  # same as core.backtest.dataset.MOMENTUM_BARS
DAYS_PER_YEAR = 365.0  # crypto trades every day
MIN_CORRELATION_RETURNS = 24  # fewer common hourly returns than a day: correlation unknown


@dataclass(frozen=True)
class CoinIndicators:
    """Inputs of policy.stop_distances for one coin, known at the last completed daily bar."""

    vol_ratio: float = 1.0  # current vol / its 100-bar mean; 1.0 when unknown
    atr_pct: float = 0.0  # ATR over vol_lookback as a fraction of the close; 0.0 when unknown
    momentum: float = math.nan  # 20-bar return; NaN when unknown (then "not with the trend")
    regime: int = SIDEWAYS_STABLE  # decision-time regime code (index of REGIME_MULT)
    bar_open_ms: int = 0  # open time of the last completed daily bar (0 when unknown)
    bar_high: float = math.nan  # its high and low: the trailing stop's best price follows bar extremes
    bar_low: float = math.nan


@dataclass(frozen=True)
class DailyCandles:
    """Completed UTC-day candles, oldest first, and the open time (ms) of the last one."""

    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    open_ms: int


def completed_daily(open_ms: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray,
                    bar_ms: int) -> DailyCandles:
    """The completed days of completed candles of `bar_ms` each (daily candles pass unchanged;
    a day whose last candle has not closed yet is left out, as the backtest leaves it out)."""
    days = daily_bars(np.asarray(open_ms, np.int64) * 1_000_000, high, low, close, int(bar_ms) * 1_000_000)
    n = completed_days(days)
    open_last = int(np.asarray(open_ms)[days.first_bar[n - 1]]) if n else 0
    return DailyCandles(days.high[:n], days.low[:n], days.close[:n], open_last)


def _return_std(close: np.ndarray, end: int, lookback_bars: int) -> float:
    """Sample std of the `lookback_bars` simple returns ending at bar `end` (NaN if too short)."""
    if end < lookback_bars:
        return math.nan
    rets = close[end - lookback_bars + 1:end + 1] / close[end - lookback_bars:end] - 1.0
    return float(np.std(rets, ddof=1))


def coin_indicators(high: np.ndarray, low: np.ndarray, close: np.ndarray, vol_lookback_bars: int) -> CoinIndicators:
    """Indicators at the last bar of completed daily OHLC arrays (oldest first); the lookback is
    in those daily bars, i.e. days (gene 9)."""
    n = close.shape[0]
    if n == 0:
        return CoinIndicators()
    t = n - 1
    vol_now = _return_std(close, t, vol_lookback_bars)
    vol_ratio = 1.0
    if t - AVG_VOL_BARS + 1 >= vol_lookback_bars:
        avg_vol = float(np.mean([_return_std(close, k, vol_lookback_bars) for k in range(t - AVG_VOL_BARS + 1, t + 1)]))
        if avg_vol > 0.0 and vol_now == vol_now:
            vol_ratio = vol_now / avg_vol
    atr_pct = 0.0
    if t >= vol_lookback_bars:
        prev = close[t - vol_lookback_bars:t]
        hi, lo = high[t - vol_lookback_bars + 1:t + 1], low[t - vol_lookback_bars + 1:t + 1]
        true_range = np.maximum(hi - lo, np.maximum(np.abs(hi - prev), np.abs(lo - prev)))
        atr_pct = float(np.mean(true_range)) / float(close[t])
    momentum = float(close[t] / close[t - MOMENTUM_BARS] - 1.0) if t >= MOMENTUM_BARS else math.nan
    start = max(0, n - DECISION_LOOKBACK_BARS)
    regime = regime_code(close, start, n, DAYS_PER_YEAR)
    return CoinIndicators(vol_ratio=vol_ratio, atr_pct=atr_pct, momentum=momentum, regime=regime)


def correlation_matrix(closes_by_coin: dict[str, dict[int, float]], coins: tuple[str, ...]) -> np.ndarray:
    """Pearson correlation of hourly simple returns on the hours every pair shares.

    `closes_by_coin` maps coin -> {candle open time ms: close}. NaN where a pair has fewer than
    MIN_CORRELATION_RETURNS common returns or a flat series; 1.0 on the diagonal.
    """
    n = len(coins)
    out = np.full((n, n), np.nan)
    returns: list[dict[int, float]] = []
    for coin in coins:
        series = closes_by_coin.get(coin, {})
        times = sorted(series)
        returns.append({t1: series[t1] / series[t0] - 1.0 for t0, t1 in zip(times, times[1:])})
    for i in range(n):
        out[i, i] = 1.0
        for j in range(i + 1, n):
            common = sorted(set(returns[i]) & set(returns[j]))
            if len(common) < MIN_CORRELATION_RETURNS:
                continue
            x = np.array([returns[i][t] for t in common])
            y = np.array([returns[j][t] for t in common])
            sx, sy = float(np.std(x)), float(np.std(y))
            if sx > 0.0 and sy > 0.0:
                c = float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))
                out[i, j] = out[j, i] = c
    return out
