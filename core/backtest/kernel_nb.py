"""The portfolio backtest kernel: every genome x every window in one parallel numba call.

A window is simulated bar by bar as four phases (core/backtest/phases_nb.py: open actions,
entries, intrabar exits, end of bar) and scored once (core/backtest/stats_nb.py). The books live
in a Scratch of record arrays (core/backtest/enums.py) that each parallel chunk allocates once and
every window resets, so the hot loop allocates nothing.

Speed (bench/RESULTS.md): the phases are inlined into the bar loop (an out-of-line phase call
copied every Market and Scratch array, ~225 words, at every bar), a phase with nothing to do is
not entered, entries read the bar's signalled assets from a list built once per dataset
(signals_nb) and the loop over a chunk's tasks is compiled here, so arguments are
reference-counted once per chunk. Every change keeps the results bit for bit.
"""
from __future__ import annotations

import core.numba_cache  # noqa: F401  (first: keys numba's cache on every kernel source)
import numpy as np
from numba import njit, prange

from core import policy
from core.backtest.enums import M_SCORE, N_METRICS, Scratch, account_dt, position_dt, trade_dt
from core.backtest.phases_nb import (close_at_window_end_nb, close_bar_nb, enter_positions_nb, intrabar_exits_nb,
                                     open_actions_nb)
from core.backtest.rules_nb import window_rules_nb
from core.backtest.stats_nb import fitness_from_scores_nb, store_metrics_nb, window_metrics_nb

PARALLEL_CHUNKS = 64  # scratch allocations per population call; many more than cores keeps threads even


@njit(cache=True, nogil=True)
def new_scratch_nb(n_assets, n_bars, max_records):
    """Buffers for simulating windows of n_bars over n_assets, recording up to max_records exits."""
    return Scratch(np.zeros(n_assets, dtype=position_dt), np.zeros(1, dtype=account_dt),
                   np.zeros(n_assets, dtype=np.int64), np.zeros(n_assets, dtype=np.int64), np.zeros(n_assets),
                   np.zeros(n_assets * n_assets), np.zeros(n_bars), np.zeros(n_bars, dtype=np.int64),
                   np.zeros(max_records, dtype=trade_dt))


@njit(cache=True, nogil=True, error_model="numpy")
def reset_window_nb(scratch, cash0):
    """Flat book, initial cash, breaker NORMAL: the state before a window's first bar."""
    for a in range(scratch.positions.shape[0]):
        pos = scratch.positions[a]
        pos.units = 0.0
        pos.side = 0.0
        pos.ref_px = 0.0
        pos.fill_px = 0.0
        pos.entry_bar = 0
        pos.best_px = 0.0
        pos.initial_units = 0.0
        pos.tp_done = 0
        pos.cash_flow_usd = 0.0
        pos.closed_bar = -1
    acct = scratch.account[0]
    acct.cash_usd = cash0
    acct.equity_usd = cash0
    acct.hwm_usd = cash0
    acct.state = policy.NORMAL
    acct.pending_action = policy.ACT_NONE
    acct.reduce_done = False
    acct.exit_done = False
    acct.emergency_bars = 0
    acct.n_open = 0
    acct.n_records = 0
    acct.n_trades = 0
    acct.n_wins = 0
    acct.gross_win_usd = 0.0
    acct.gross_loss_usd = 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def simulate_windows_nb(k0, k1, params, window_starts, n_bars, participation, signals, market, costs, scratch,
                        metrics):
    """Simulate tasks k0..k1-1 of (genome, window) pairs, task k being genome k // W on window k % W,
    one after the other on one scratch (the loop is here, not in the caller, so the 25 arrays of a
    call are reference-counted once per chunk of tasks, not once per window).

    Args:
        params: decoded genomes (P, 22), columns per core.backtest.enums.
        window_starts: (W,) first bars on the common time axis; n_bars: the windows' length.
        participation: (W, A) assets with data over the whole window.
        signals: enums.EntrySignals of these windows (signals_nb).
        market: enums.Market arrays. costs: enums.Costs.
        scratch: enums.Scratch with equity and states of n_bars; after the last task it holds that
            window's close equity, the breaker state decided at each close and (while there is room)
            every exit event, scratch.account[0].n_records of them in scratch.trades.
        metrics: (P, W, N_METRICS) receives each task's WindowMetrics (store_metrics_nb).
    """
    n_win = window_starts.shape[0]
    acct = scratch.account[0]
    for k in range(k0, k1):
        p = k // n_win
        w = k % n_win
        w0 = window_starts[w]
        rules = window_rules_nb(params[p], participation[w], costs)
        reset_window_nb(scratch, costs.initial_cash_usd)
        for i in range(n_bars):
            # The phases are inlined; the guards skip the work of an empty book or a bar without signal.
            t = w0 + i
            if acct.n_open > 0:
                open_actions_nb(t, rules, market, costs, scratch)
            acct.pending_action = policy.ACT_NONE
            first, end = signals.offsets[w, i], signals.offsets[w, i + 1]
            if first < end:
                enter_positions_nb(t, first, end, rules, market, costs, signals, scratch)
            if acct.n_open > 0:
                intrabar_exits_nb(t, rules, market, costs, scratch)
            close_bar_nb(i, t, rules, market, scratch)
        close_at_window_end_nb(w0 + n_bars - 1, market, costs, scratch)
        store_metrics_nb(metrics[p, w], window_metrics_nb(scratch.equity[:n_bars], costs.initial_cash_usd, acct,
                                                          costs.periods_per_year))


@njit(cache=True, nogil=True, parallel=True)
def evaluate_population_nb(params, window_starts, window_bars, participation, window_regime, n_regimes, signals,
                           market, costs):
    """Fitness (P,) and per-window metrics (P, W, N_METRICS) for a population (P, 22) of decoded
    genomes; each (genome, window) pair is independent, so results do not depend on threads.

    Args:
        window_starts: (W,) first bars; window_bars: their length. participation: (W, A) bool.
        window_regime: (W,) regime codes of the windows, n_regimes of them.
        signals: enums.EntrySignals of the windows (signals_nb.entry_signals_nb, built by the caller:
            numba's parfor lowering cannot type a NamedTuple made inside this function).
        market: enums.Market. costs: enums.Costs.
    """
    n_pop = params.shape[0]
    n_win = window_starts.shape[0]
    n_assets = market.open.shape[0]
    n_tasks = n_pop * n_win
    n_chunks = min(n_tasks, PARALLEL_CHUNKS)
    metrics = np.zeros((n_pop, n_win, N_METRICS))
    for c in prange(n_chunks):
        scratch = new_scratch_nb(n_assets, window_bars, 0)
        simulate_windows_nb(c * n_tasks // n_chunks, (c + 1) * n_tasks // n_chunks, params, window_starts,
                            window_bars, participation, signals, market, costs, scratch, metrics)
    fitness = np.zeros(n_pop)
    for p in prange(n_pop):
        fitness[p] = fitness_from_scores_nb(metrics[p, :, M_SCORE], window_regime, n_regimes)
    return fitness, metrics
