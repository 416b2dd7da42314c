"""`evorisk replay` service: the real monitor, with standing orders, on history through the paper
exchange, against the kernel on the same bars.

Per CSV bar t (all coins), on a simulated clock whose day is the bar's date:
  1. the decision poll, just after bar t-1 completed: one real MonitorService cycle (breaker on the
     close equity, standing orders at bar t's schedule: indicators and best price through t-1);
     every pending action it proposes is approved by "replay" (recorded as such);
  2. the open tick (a gap fires the triggers it crosses at the open), the approved actions are
     executed (IOC at the open), then the kernel's own entries of bar t are opened through the SDK
     at the kernel's sizes;
  3. the adverse extreme, the favourable extreme and the close as ticks, visiting on the way every
     resting trigger price the path crosses (a continuous path passes through them).
The paper book fills takers at the mid x (1 +- slippage) with unlimited depth and charges the
kernel's fee, so fills reproduce the kernel's execution prices up to venue rounding.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from core.backtest.api import BacktestConfig, decode_matrix, load_dataset, span_detail
from core.backtest import enums as E
from core.exchange.models import OrderRequest
from core.monitor.indicators import AVG_VOL_BARS
from core.policy import BREAKER_NAMES
from core.regimes import DECISION_LOOKBACK_BARS
from core.replay.compare import ExitEvent, Parity, compare

log = logging.getLogger("evorisk.replay")
MS_PER_DAY = 86_400_000
MS_PER_MINUTE = 60_000
WARMUP_BARS = 200  # the monitor's indicators read 200 daily candles (regime 180, vol lookback + 100)
REPLAY_OPERATOR = "replay (auto-approved)"
ENTRY_LIMIT_SLIPPAGE = 0.05  # IOC entries cross the book; the unlimited-depth book fills them at the mid x slip


@dataclass
class ReplayRun:
    names: tuple[str, ...]
    dates: list[str]
    parity: Parity
    kernel_equity: list[float]
    replay_equity: list[float]
    kernel_states: list[str]
    replay_states: list[str]
    seconds: float
    kernel_events: list[ExitEvent] = field(default_factory=list)
    booked_events: list[ExitEvent] = field(default_factory=list)


def _sz_decimals(median_px: float) -> int:
    """Size decimals that keep both size and price rounding near 1e-4 for ~$1000 orders
    (Hyperliquid allows 6 - szDecimals price decimals)."""
    return int(min(6, max(0, math.ceil(1.0 + math.log10(median_px)))))


def kernel_run(ds, params_row: np.ndarray, w0: int, n_bars: int):
    """One continuous kernel window over the replayed bars, every exit event recorded."""
    participates = np.array([not np.isnan(ds.open[a, w0 - WARMUP_BARS:w0 + n_bars]).any()
                             for a in range(len(ds.names))])
    d = span_detail(ds, params_row, w0, n_bars, participates, max_events=100_000)
    return d.trades, d.equity, d.states, participates


def first_replay_bar(ds, start: str | None) -> int:
    """The first bar with WARMUP_BARS of history for every coin with data then, not before --start."""
    first_valid = [int(np.argmax(~np.isnan(ds.open[a]))) for a in range(len(ds.names))]
    w0 = max(first_valid) + WARMUP_BARS  # every coin replays from the same bar
    if start:
        start_ns = np.datetime64(start).astype("datetime64[ns]").astype(np.int64)
        w0 = max(w0, int(np.searchsorted(ds.time_ns, start_ns)))
    assert DECISION_LOOKBACK_BARS <= WARMUP_BARS and AVG_VOL_BARS + 30 <= WARMUP_BARS
    return w0


def run_replay(paths: list[str], genes: np.ndarray, start: str | None = None, end: str | None = None,
               fee: float = 0.0025, slippage: float = 0.0025, sides: str = "long") -> ReplayRun:
    from console.replay_venue import ReplayVenue

    t0 = time.perf_counter()
    cfg = BacktestConfig(fee_pct=fee, slippage_pct=slippage, sides=sides, end=end)
    ds = load_dataset(paths, cfg)
    params = decode_matrix(genes[None, :])[0]
    w0 = first_replay_bar(ds, start)
    last = ds.open.shape[1]
    if end:
        last = int(np.searchsorted(ds.time_ns, np.datetime64(end).astype("datetime64[ns]").astype(np.int64)))
    n_bars = last - w0
    if n_bars < 2:
        from core.errors import BadInputError

        raise BadInputError("replay: fewer than 2 bars after the 200-bar warm-up and --start")
    trades, k_equity, k_states, participates = kernel_run(ds, params, w0, n_bars)
    coins = [ds.names[a] for a in range(len(ds.names)) if participates[a]]
    venue = ReplayVenue(ds, coins, genes, fee, slippage,
                        {c: _sz_decimals(float(np.nanmedian(ds.close[ds.names.index(c)]))) for c in coins})
    try:
        entries = _entries(trades, ds.names)
        venue.warm_up(w0)
        r_equity, r_states = [], []
        for i in range(n_bars):
            t = w0 + i
            venue.decision_poll(t)
            venue.open_bar(t, entries.get(t, []))
            venue.finish_bar(t)
            r_equity.append(venue.equity())
            r_states.append(venue.breaker_state)
        booked = venue.booked_events(w0 + n_bars - 1)
    finally:
        venue.stop()
    kernel_events = [_kernel_event(row, ds.names, slippage) for row in trades]
    names_states = [BREAKER_NAMES[int(s)] for s in k_states]
    # the monitor decides bar t's breaker at the decision poll of bar t+1: compare like with like
    parity = compare(kernel_events, booked, list(k_equity), r_equity, names_states[:-1], r_states[1:])
    dates = [str(np.datetime64(int(x), "ns").astype("datetime64[D]")) for x in ds.time_ns[w0:w0 + n_bars]]
    return ReplayRun(tuple(coins), dates, parity, list(k_equity), r_equity, names_states, r_states,
                     time.perf_counter() - t0, kernel_events, booked)


def _entries(trades: np.ndarray, names: tuple[str, ...]) -> dict[int, list[tuple[str, int, float]]]:
    """Kernel entries by bar: (coin, side, units) with units summed over the trade's exit events."""
    units: dict[tuple[int, int, int], float] = {}
    for row in trades:
        key = (int(row["entry_bar"]), int(row["asset"]), int(row["side"]))
        units[key] = units.get(key, 0.0) + float(row["units"])
    out: dict[int, list] = {}
    for (bar, a, side), u in sorted(units.items()):
        out.setdefault(bar, []).append((names[a], side, u))
    return out


def _kernel_event(row: np.ndarray, names: tuple[str, ...], slippage: float) -> ExitEvent:
    kind = E.EXIT_NAMES[int(row["kind"])]
    return ExitEvent(names[int(row["asset"])], int(row["side"]), int(row["entry_bar"]), int(row["exit_bar"]),
                     kind, float(row["exit_px"]), float(row["units"]))


def entry_request(coin: str, side: int, units: float, open_px: float) -> OrderRequest:
    is_buy = side > 0
    limit = open_px * (1 + ENTRY_LIMIT_SLIPPAGE if is_buy else 1 - ENTRY_LIMIT_SLIPPAGE)
    return OrderRequest(coin, is_buy, units, limit, False, None, "Ioc")
