"""The replay's one reader of the backtest kernel: it runs the kernel over the replayed bars and
turns its trade records into the entries the replay opens and the exit events it compares.

Why one module: the kernel's trade record layout (today a float matrix indexed by
core.backtest.enums.T_*) is being restructured; every read of it in the replay lives here, so a
new layout changes this file only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.backtest import enums as E
from core.backtest.kernel_nb import simulate_window_nb
from core.policy import BREAKER_NAMES
from core.regimes import REGIME_MULT
from core.replay.compare import ExitEvent

MAX_TRADE_ROWS = 100_000  # exit events of one continuous window; far above any four-year replay


@dataclass(frozen=True)
class KernelRun:
    trades: np.ndarray  # the kernel's records, read only through the functions below
    equity: np.ndarray  # (n_bars,) USD at each bar's close
    states: list[str]  # breaker state name per bar
    participates: np.ndarray  # (n_assets,) bool: coins with data over the warm-up and the replay


def kernel_run(ds, params_row: np.ndarray, w0: int, n_bars: int, warmup_bars: int) -> KernelRun:
    """One continuous kernel window over bars w0 .. w0 + n_bars - 1, every exit event recorded."""
    c = ds.config
    participates = np.array([not np.isnan(ds.open[a, w0 - warmup_bars:w0 + n_bars]).any()
                             for a in range(len(ds.names))])
    trades = np.zeros((MAX_TRADE_ROWS, E.N_TRADE_FIELDS))
    equity = np.empty(n_bars)
    states = np.empty(n_bars, dtype=np.int64)
    _, n = simulate_window_nb(np.ascontiguousarray(params_row), w0, n_bars, ds.open, ds.high, ds.low, ds.close,
                              ds.vol, ds.avg_vol, ds.atr, ds.regime, ds.momentum, ds.entry_long, ds.entry_short,
                              ds.corr, participates, REGIME_MULT, c.fee_pct, c.slippage_pct, c.initial_cash_usd,
                              c.sides == "both", ds.periods_per_year, True, trades, equity, states)
    return KernelRun(trades[:n], equity, [BREAKER_NAMES[int(s)] for s in states], participates)


def entries_by_bar(run: KernelRun, names: tuple[str, ...]) -> dict[int, list[tuple[str, int, float]]]:
    """Kernel entries by bar: (coin, side, units) with units summed over the trade's exit events."""
    units: dict[tuple[int, int, int], float] = {}
    for row in run.trades:
        key = (int(row[E.T_ENTRY_BAR]), int(row[E.T_ASSET]), int(row[E.T_SIDE]))
        units[key] = units.get(key, 0.0) + float(row[E.T_UNITS])
    out: dict[int, list] = {}
    for (bar, a, side), u in sorted(units.items()):
        out.setdefault(bar, []).append((names[a], side, u))
    return out


def exit_events(run: KernelRun, names: tuple[str, ...]) -> list[ExitEvent]:
    """One ExitEvent per kernel exit record, in the kernel's order."""
    return [ExitEvent(names[int(row[E.T_ASSET])], int(row[E.T_SIDE]), int(row[E.T_ENTRY_BAR]),
                      int(row[E.T_EXIT_BAR]), E.EXIT_NAMES[int(row[E.T_KIND])], float(row[E.T_EXIT_PX]),
                      float(row[E.T_UNITS])) for row in run.trades]
