"""Numba kernels of the stop study: millions of single-position backtests without pandas.

Every backtest is one long position entered on a window's first bar and closed by one exit
rule. The fill rules follow vectorbt 1.2 `Portfolio.from_signals` (the test oracle) with
`stop_exit_price="stopmarket"`, so the kernel and vectorbt agree to rounding:

- entry: a signal on the window's first bar fills at that bar's close (vectorbt's default
  order price), plus slippage, all cash in, fee on the traded value;
- stops are measured from that entry close (vectorbt's `stop_entry_price="close"`) and are
  first checked on the bar after entry;
- a stop fills at its own price when the bar trades through it, at the open when the bar
  gaps past it, minus slippage (a stop is a market order once triggered);
- the trailing stop trails the highest high of the bars after entry, and a bar's high only
  moves the stop after that bar was checked (the order of events inside a bar is unknown);
- random exits and the end of the window are exit signals filled at that bar's close;
- a position still open on the window's last bar is closed there, so every kind pays the
  same two sides of costs.
"""
from __future__ import annotations

import core.numba_cache  # noqa: F401  (first: keys numba's cache on every kernel source)
import numpy as np
from numba import njit, prange

from core.regimes import regime_code
from core.study.enums import N_EXIT_KINDS, ExitKind

# The shared regime rule compiled once more here so window classification runs in parallel.
_regime_code_nb = njit(cache=True, nogil=True)(regime_code)


@njit(cache=True, nogil=True)
def exit_bar_and_price_nb(open_, high, low, close, start, window_bars, kind, stop, random_bar):
    """Where one long position opened at close[start] is closed, before slippage.

    Args:
        open_, high, low, close: one asset's prices (quote currency per coin), shape (n_bars,).
        start: index of the window's first bar (the entry bar).
        window_bars: window length in bars; the last bar is start + window_bars - 1.
        kind: an `ExitKind` value.
        stop: stop distance as a fraction of the entry close (0.05 = 5%); unused by Random/Hold.
        random_bar: exit bar of the Random kind, as an offset from start in [1, window_bars - 1].

    Returns:
        (exit offset in bars from start, exit price before slippage).
    """
    last = window_bars - 1
    if kind == ExitKind.Hold:
        return last, close[start + last]
    if kind == ExitKind.Random:
        return random_bar, close[start + random_bar]
    entry_close = close[start]
    peak_price = entry_close  # the trailing stop's reference, raised by later highs
    for offset in range(1, window_bars):
        i = start + offset
        if kind == ExitKind.TakeProfit:
            level = entry_close * (1.0 + stop)
            if level <= open_[i]:
                return offset, open_[i]
            if low[i] <= level <= high[i]:
                return offset, level
        else:
            level = peak_price * (1.0 - stop)
            if open_[i] <= level:
                return offset, open_[i]
            if low[i] <= level <= high[i]:
                return offset, level
            if kind == ExitKind.TrailingStop and high[i] > peak_price:
                peak_price = high[i]
    return last, close[start + last]


@njit(cache=True, nogil=True)
def long_total_return_nb(entry_price, exit_price, fee_rate, slippage_rate):
    """Total return (fraction of starting cash) of an all-in long round trip.

    Args:
        entry_price: order price of the entry (quote currency per coin), before slippage.
        exit_price: order price of the exit, before slippage.
        fee_rate: fee per side as a fraction of traded value (0.0025 = 0.25%).
        slippage_rate: price slippage per side as a fraction (buys pay more, sells get less).
    """
    entry_fill = entry_price * (1.0 + slippage_rate)
    size_coins = (1.0 / (1.0 + fee_rate)) / entry_fill  # fee is paid out of the same cash
    proceeds = size_coins * exit_price * (1.0 - slippage_rate)
    return proceeds - proceeds * fee_rate - 1.0


@njit(cache=True, nogil=True, parallel=True)
def study_returns_nb(open_, high, low, close, window_starts, window_bars, stop_levels,
                     random_exit_bars, fee_rate, slippage_rate):
    """Every (asset, window, exit kind, stop level) backtest of the study, in parallel.

    Args:
        open_, high, low, close: prices, shape (n_assets, n_bars), rows on one shared calendar.
        window_starts: first bar of each window, shape (n_windows,), int.
        window_bars: bars per window (entry on the first, forced exit on the last).
        stop_levels: stop distances as fractions of the entry close, shape (n_levels,).
        random_exit_bars: Random-kind exit offsets, shape (n_assets, n_windows, n_levels), int.
        fee_rate: fee per side, fraction of traded value.
        slippage_rate: slippage per side, fraction of price.

    Returns:
        total_returns: float64 (n_assets, n_windows, N_EXIT_KINDS, n_levels), fraction of cash;
        exit_offsets: int32 of the same shape, bars from entry to exit.
        Hold does not depend on the level; its value is repeated across levels.
    """
    n_assets = close.shape[0]
    n_windows = window_starts.shape[0]
    n_levels = stop_levels.shape[0]
    total_returns = np.empty((n_assets, n_windows, N_EXIT_KINDS, n_levels), dtype=np.float64)
    exit_offsets = np.empty((n_assets, n_windows, N_EXIT_KINDS, n_levels), dtype=np.int32)
    for task in prange(n_assets * n_windows):
        asset = task // n_windows
        window = task % n_windows
        start = window_starts[window]
        entry_close = close[asset, start]
        for kind in range(N_EXIT_KINDS):
            for level in range(n_levels):
                if kind == ExitKind.Hold and level > 0:
                    total_returns[asset, window, kind, level] = total_returns[asset, window, kind, 0]
                    exit_offsets[asset, window, kind, level] = exit_offsets[asset, window, kind, 0]
                    continue
                offset, exit_price = exit_bar_and_price_nb(
                    open_[asset], high[asset], low[asset], close[asset], start, window_bars,
                    kind, stop_levels[level], random_exit_bars[asset, window, level])
                total_returns[asset, window, kind, level] = long_total_return_nb(
                    entry_close, exit_price, fee_rate, slippage_rate)
                exit_offsets[asset, window, kind, level] = offset
    return total_returns, exit_offsets


@njit(cache=True, nogil=True, parallel=True)
def window_regimes_nb(close, window_starts, window_bars, periods_per_year):
    """Regime code (index into core.regimes.REGIME_NAMES) of every asset's every window.

    Args:
        close: closes, shape (n_assets, n_bars).
        window_starts: first bar of each window, shape (n_windows,).
        window_bars: bars per window.
        periods_per_year: bars per year for annualising volatility (365 for daily crypto).

    Returns:
        int8 array (n_assets, n_windows).
    """
    n_assets = close.shape[0]
    n_windows = window_starts.shape[0]
    codes = np.empty((n_assets, n_windows), dtype=np.int8)
    for task in prange(n_assets * n_windows):
        asset = task // n_windows
        window = task % n_windows
        start = window_starts[window]
        codes[asset, window] = _regime_code_nb(close[asset], start, start + window_bars, periods_per_year)
    return codes
