"""`evorisk replay`: the real monitor, with standing orders, on history through the paper
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
kernel's fee, so fills reproduce the kernel's execution prices up to venue rounding. Both sides
run on the same bars: the CSV prices put on the venue's tick once (core.replay.venue_prices), so
equity, drawdown and levels come from the prices the paper exchange serves.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from console.services.replay_venue import ReplayVenue
from core.backtest.api import BacktestConfig, decode_matrix, load_dataset
from core.errors import BadInputError
from core.genome import load_genome_file
from core.market.loader import load_many
from core.monitor.indicators import AVG_VOL_BARS
from core.regimes import DECISION_LOOKBACK_BARS
from core.replay.compare import ExitEvent, Parity, compare
from core.replay.kernel_trades import entries_by_bar, exit_events, kernel_run
from core.replay.venue_prices import series_sz_decimals, venue_rounded

log = logging.getLogger("evorisk.replay")
MS_PER_DAY = 86_400_000
MS_PER_MINUTE = 60_000
WARMUP_BARS = 200  # the monitor's indicators read 200 daily candles (regime 180, vol lookback + 100)
REPLAY_OPERATOR = "replay (auto-approved)"


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
    sides: str = "long"  # the kernel's test entries: "long" or "both"

    def breaker_by_bar(self) -> tuple[list[str], list[str], list[str]]:
        """(date, kernel state, replay state) per bar, compared like with like."""
        kernel, replay = decided_alike(self.kernel_states, self.replay_states)
        return self.dates[:len(kernel)], kernel, replay


def decided_alike(kernel_states: list[str], replay_states: list[str]) -> tuple[list[str], list[str]]:
    """The kernel decides bar t's breaker at bar t's close, the monitor at the decision poll of
    bar t+1 (on that same close): pair kernel[t] with replay[t+1]."""
    return kernel_states[:-1], replay_states[1:]


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
    t0 = time.perf_counter()
    cfg = BacktestConfig(fee_pct=fee, slippage_pct=slippage, sides=sides, end=end)
    # Kernel and paper exchange run on the same bars: the CSV prices on the venue's tick.
    raw = load_many(paths)
    sz_decimals = {s.name: series_sz_decimals(s) for s in raw}
    ds = load_dataset(paths, cfg, load=lambda _: [venue_rounded(s, sz_decimals[s.name]) for s in raw])
    params = decode_matrix(genes[None, :])[0]
    w0 = first_replay_bar(ds, start)
    last = ds.open.shape[1]
    if end:
        last = int(np.searchsorted(ds.time_ns, np.datetime64(end).astype("datetime64[ns]").astype(np.int64)))
    n_bars = last - w0
    if n_bars < 2:
        raise BadInputError("replay: fewer than 2 bars after the 200-bar warm-up and --start")
    # the kernel fills on the venue's tick too (buys up, sells down), as the paper book does
    kernel = kernel_run(ds, params, w0, n_bars, WARMUP_BARS, sz_decimals)
    coins = [ds.names[a] for a in range(len(ds.names)) if kernel.participates[a]]
    venue = ReplayVenue(ds, coins, genes, fee, slippage, {c: sz_decimals[c] for c in coins})
    try:
        entries = entries_by_bar(kernel, ds.names)
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
    dates = [str(np.datetime64(int(x), "ns").astype("datetime64[D]")) for x in ds.time_ns[w0:w0 + n_bars]]
    kernel_events, k_equity = exit_events(kernel, ds.names), [float(x) for x in kernel.equity]
    parity = compare(kernel_events, booked, k_equity, r_equity, *decided_alike(kernel.states, r_states), w0)
    return ReplayRun(tuple(coins), dates, parity, k_equity, r_equity, kernel.states, r_states,
                     time.perf_counter() - t0, kernel_events, booked, sides)


def csv_paths(specs: list[str]) -> list[str]:
    """Directories expand to their CSV files (sorted); files stay as given."""
    paths: list[str] = []
    for spec in specs:
        p = Path(spec)
        paths.extend(sorted(str(x) for x in p.glob("*.csv")) if p.is_dir() else [spec])
    return paths


def run_replay_file(data: list[str], genome_file: str, **options) -> ReplayRun:
    """`evorisk replay`: the first genome of `genome_file` on the CSV files and directories `data`
    (options: start, end, fee, slippage, sides as run_replay's)."""
    genes, _ = load_genome_file(genome_file)[0]
    return run_replay(csv_paths(data), genes, **options)
