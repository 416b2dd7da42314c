"""Daily candles from bars of any interval up to a day, for the candle inputs that must mean the
same on every interval, first of all the ATR behind gene 1 (stop_atr_mult, SPEC section 2).

Why daily true ranges and not an ATR of the data's own bars: a true range does not scale with the
bar. On ../shared/data/crypto-hourly the daily ATR is 5.1-5.3 times the ATR of the hourly bars
over the same 10-30 days (median, BTC and ETH; a random walk would give sqrt(24) = 4.9, and the
factor moves with intraday seasonality and gaps), so `stop_atr_mult` 2 evolved on hourly bars sat
five times closer to the price than the same gene on the monitor's daily candles. Rescaling an
hourly ATR by a fixed factor would hide that assumption; building the daily candle from the bars
and taking its true range is exact: the ATR of hourly data at the close of a UTC day equals the
ATR of the daily data for that day.

The other candle inputs of the stop policy that the monitor reads from daily candles, the 20-day
momentum behind gene 16 and the decision-time regime behind gene 18, are carried the same way.

Rule (the backtest's prepared inputs and the monitor's indicators both use it):
- a UTC day's candle is the max high, min low and last close of the bars that open in that day;
- the day is completed at the bar that ends at or after the day's end (or at any later bar when
  the data has a gap), never before: an intraday bar sees only days already completed, so the
  ATR is carried unchanged through the hours of the day after, as the live monitor sees it;
- ATR over N days = mean true range of the last N completed days / close of the last completed day.
Bars of a day or longer are used as they are (a coarser bar has no finer range to rebuild).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class DailyBars:
    """Daily candles rebuilt from finer bars, and which of them each bar has seen completed."""

    high: np.ndarray  # (D,) per UTC day, oldest first
    low: np.ndarray
    close: np.ndarray
    first_bar: np.ndarray  # (D,) index of each day's first input bar (its open time is the day's)
    last_completed: np.ndarray  # (T,) per input bar: index of the last completed day, -1 if none


def daily_bars(time_ns: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, bar_ns: int) -> DailyBars:
    """The UTC-day candles of one asset's bars (time-ordered, open times in ns) and, per bar, the
    last day completed at that bar's close. Bars of a day or longer map one to one."""
    time_ns = np.asarray(time_ns, dtype=np.int64)
    n = time_ns.shape[0]
    if bar_ns >= NS_PER_DAY or n == 0:
        every = np.arange(n, dtype=np.int64)
        return DailyBars(np.asarray(high, float), np.asarray(low, float), np.asarray(close, float), every, every)
    day = time_ns // NS_PER_DAY
    first = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])  # first bar of each day
    last = np.r_[first[1:] - 1, n - 1]
    d_high = np.maximum.reduceat(np.asarray(high, float), first)
    d_low = np.minimum.reduceat(np.asarray(low, float), first)
    d_close = np.asarray(close, float)[last]
    day_of_bar = np.repeat(np.arange(first.shape[0]), np.diff(np.r_[first, n]))
    ends_day = time_ns + bar_ns >= (day + 1) * NS_PER_DAY
    # a day is complete at its own closing bar, else from the first bar of a later day on
    last_completed = np.where(ends_day, day_of_bar, day_of_bar - 1).astype(np.int64)
    return DailyBars(d_high, d_low, d_close, first.astype(np.int64), last_completed)


def completed_days(bars: DailyBars) -> int:
    """How many leading days of `bars` are completed at the last input bar."""
    return int(bars.last_completed[-1]) + 1 if bars.last_completed.shape[0] else 0


def carry_to_bars(per_day: np.ndarray, bars: DailyBars, before: float = np.nan) -> np.ndarray:
    """A per-day series as seen at each bar: the value of the last completed day, `before` until
    the first day completes."""
    idx = bars.last_completed
    out = np.full(idx.shape[0], before, dtype=per_day.dtype)
    seen = idx >= 0
    out[seen] = per_day[idx[seen]]
    return out
