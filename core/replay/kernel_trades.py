"""The replay's one reader of the backtest kernel: it runs the kernel over the replayed bars and
turns its trade records into the entries the replay opens and the exit events it compares.

Why one module: every read of the kernel's trade records (core.backtest.enums.trade_dt, through
core.backtest.api.span_detail) in the replay lives here, so a new layout changes this file only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.backtest import enums as E
from core.backtest.api import span_detail
from core.policy import BREAKER_NAMES
from core.replay.compare import ExitEvent

MAX_TRADE_ROWS = 100_000  # exit events of one continuous window; far above any four-year replay


@dataclass(frozen=True)
class KernelRun:
    trades: np.ndarray  # trade_dt records, read only through the functions below
    equity: np.ndarray  # (n_bars,) USD at each bar's close
    states: list[str]  # breaker state name per bar
    participates: np.ndarray  # (n_assets,) bool: coins with data over the warm-up and the replay


def kernel_run(ds, params_row: np.ndarray, w0: int, n_bars: int, warmup_bars: int,
               sz_decimals: dict[str, int] | None = None) -> KernelRun:
    """One continuous kernel window over bars w0 .. w0 + n_bars - 1, every exit event recorded;
    with sz_decimals (per coin) the kernel fills on the venue's price tick as the paper exchange does."""
    participates = np.array([not np.isnan(ds.open[a, w0 - warmup_bars:w0 + n_bars]).any()
                             for a in range(len(ds.names))])
    ticks = (None if sz_decimals is None
             else np.array([sz_decimals[name] for name in ds.names], dtype=np.int64))
    d = span_detail(ds, params_row, w0, n_bars, participates, max_events=MAX_TRADE_ROWS, tick_sz_decimals=ticks)
    return KernelRun(d.trades, d.equity, [BREAKER_NAMES[int(s)] for s in d.states], participates)


def entries_by_bar(run: KernelRun, names: tuple[str, ...]) -> dict[int, list[tuple[str, int, float]]]:
    """Kernel entries by bar: (coin, side, units) with units summed over the trade's exit events."""
    units: dict[tuple[int, int, int], float] = {}
    for row in run.trades:
        key = (int(row["entry_bar"]), int(row["asset"]), int(row["side"]))
        units[key] = units.get(key, 0.0) + float(row["units"])
    out: dict[int, list] = {}
    for (bar, a, side), u in sorted(units.items()):
        out.setdefault(bar, []).append((names[a], side, u))
    return out


def exit_events(run: KernelRun, names: tuple[str, ...]) -> list[ExitEvent]:
    """One ExitEvent per kernel exit record, in the kernel's order."""
    return [ExitEvent(names[int(row["asset"])], int(row["side"]), int(row["entry_bar"]), int(row["exit_bar"]),
                      E.EXIT_NAMES[int(row["kind"])], float(row["exit_px"]), float(row["units"]))
            for row in run.trades]
