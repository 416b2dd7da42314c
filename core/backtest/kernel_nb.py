"""The portfolio backtest kernel: every genome x every window in one parallel numba call.

Bar order inside a window (bar t, all decisions use information up to bar t-1's close):
  1. at the open: breaker actions decided at the previous close (halve / close all),
     hard time exits, then entries signalled at the previous close;
  2. intrabar: stop, trailing stop and take-profit levels from bar t-1's indicators; the
     weighted vote decides; the adverse level is assumed first (SL/trail before TP); fills at
     the level, or at the open when the bar gaps through it;
  3. at the close: mark to market, drawdown, breaker state for the next bar.
Positions opened at bar t are not stop-checked on bar t (its intrabar order is unknown), the
same convention as vectorbt's from_signals, our test oracle.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from core import policy
from core.backtest.enums import (
    ATR_MULT, CONC_LIMIT, CORR_LIMIT, EXIT_BREAKER, EXIT_END, EXIT_REDUCE, EXIT_SL, EXIT_TIME,
    EXIT_TP, EXIT_TRAIL, HIGH_VOL_RATIO, M_MAXDD, M_PF, M_RETURN, M_SCORE, M_SHARPE, M_TRADES,
    M_WINRATE, MAX_DD, MAX_HOLD, MIN_LOOKBACK, MOMENTUM_ADJ, N_METRICS, N_TRADE_FIELDS,
    NEWS_VOL_MULT, PF_CAP, REGIME_SENS, SL_PCT, T_ASSET, T_ENTRY_BAR, T_ENTRY_PX, T_EXIT_BAR,
    T_EXIT_PX, T_KIND, T_PNL, T_SIDE, T_UNITS, TIME_DECAY, TP_LEVELS, TP_PCT, TP_SCALING,
    TRAIL_ACT, TRAIL_ONLY_PROFIT, TRAIL_PCT, VOL_LOOKBACK, VOL_MULT, W_SL, W_TP, W_TRAIL,
)

_jit = njit(cache=True, nogil=True)
stop_distances_nb = _jit(policy.stop_distances)
breaker_next_state_nb = _jit(policy.breaker_next_state)
drawdown_fraction_nb = _jit(policy.drawdown_fraction)
emergency_cooldown_bars_nb = _jit(policy.emergency_cooldown_bars)
position_target_fraction_nb = _jit(policy.position_target_fraction)
allows_new_risk_nb = _jit(policy.allows_new_risk)
stops_tightened_nb = _jit(policy.stops_tightened)
weighted_correlation_nb = _jit(policy.weighted_correlation)
adverse_exit_nb = _jit(policy.adverse_exit)
take_profit_passes_nb = _jit(policy.take_profit_passes)
tp_level_px_nb = _jit(policy.tp_level_px)
tp_level_units_nb = _jit(policy.tp_level_units)
time_exit_due_nb = _jit(policy.time_exit_due)
breaker_episode_nb = _jit(policy.breaker_episode)
break_even_mult_nb = _jit(policy.break_even_mult)

SCORE_W_SHARPE, SCORE_W_DD, SCORE_W_WIN, SCORE_W_PF = 0.4, 0.3, 0.2, 0.1


@njit(cache=True, nogil=True)
def position_schedule_nb(params, side, entry_px, best_px, held_bars, vol, avg_vol, atr_pct, regime_row, momentum,
                         tightened, be_mult):
    """The policy's exit schedule of one position at one bar, from the previous bar's indicators.

    Args:
        params: decoded genome (22,). side: +1 / -1. entry_px: the stop reference (entry open).
        best_px: best price since entry. held_bars: bars since entry.
        vol, avg_vol, atr_pct: indicators at the previous close (NaN when unknown).
        regime_row: (3,) SL/TP/trail multipliers of the decision-time regime.
        momentum: trailing return (NaN when unknown). be_mult: policy.break_even_mult.
    Returns:
        (adverse_px, adverse_kind, take_profit distance, take-profit levels active).
    """
    vol_ratio = vol / avg_vol if (avg_vol > 0.0 and vol == vol) else 1.0
    if not atr_pct == atr_pct:
        atr_pct = 0.0
    with_trend = (momentum == momentum) and momentum * side > 0.0
    sl, tr, tp = stop_distances_nb(
        params[SL_PCT], params[ATR_MULT], params[TRAIL_PCT], params[TP_PCT], params[VOL_MULT],
        params[HIGH_VOL_RATIO], params[MAX_HOLD], params[TIME_DECAY], params[MOMENTUM_ADJ],
        params[NEWS_VOL_MULT], params[REGIME_SENS], regime_row[0], regime_row[1], regime_row[2],
        vol_ratio, atr_pct, held_bars, with_trend, tightened)
    adv_px, adv_kind = adverse_exit_nb(side, entry_px, best_px, sl, tr, params[TRAIL_ACT],
                                       params[TRAIL_ONLY_PROFIT] > 0.5, entry_px * be_mult, params[W_SL],
                                       params[W_TRAIL])
    return adv_px, adv_kind, tp, take_profit_passes_nb(params[W_TP])


@njit(cache=True, nogil=True)
def _close_units_nb(a, units, fill_px, bar, kind, side, size, cash, trade_cash, entry_bar, entry_fill,
                    fee, slip, record, trades, n_rec):
    """Exit `units` (> 0) of asset a's position at reference price fill_px; returns new cash and
    record count. The trade's running cash flow is updated in place."""
    if side[a] > 0:
        exec_px = fill_px * (1.0 - slip)
        flow = units * exec_px * (1.0 - fee)
        size[a] -= units
    else:
        exec_px = fill_px * (1.0 + slip)
        flow = -units * exec_px * (1.0 + fee)
        size[a] += units
    cash += flow
    trade_cash[a] += flow
    if record and n_rec < trades.shape[0]:
        trades[n_rec, T_ASSET] = a
        trades[n_rec, T_SIDE] = side[a]
        trades[n_rec, T_ENTRY_BAR] = entry_bar[a]
        trades[n_rec, T_EXIT_BAR] = bar
        trades[n_rec, T_ENTRY_PX] = entry_fill[a]
        trades[n_rec, T_EXIT_PX] = exec_px
        trades[n_rec, T_UNITS] = units
        trades[n_rec, T_PNL] = flow
        trades[n_rec, T_KIND] = kind
        n_rec += 1
    return cash, n_rec


@njit(cache=True, nogil=True)
def _finish_trade_nb(a, size, trade_cash, stats):
    """When a position is flat, book its net result: stats = [trades, wins, gross_win, gross_loss]."""
    if abs(size[a]) <= 1e-12:
        size[a] = 0.0
        pnl = trade_cash[a]
        stats[0] += 1.0
        if pnl > 0.0:
            stats[1] += 1.0
            stats[2] += pnl
        else:
            stats[3] -= pnl
        return True
    return False


@njit(cache=True, nogil=True)
def simulate_window_nb(params, w0, n_bars, open_, high, low, close, vol, avg_vol, atr, regime,
                       momentum, entry_long, entry_short, corr, participates, regime_mult, fee, slip,
                       cash0, allow_short, periods_per_year, record, trades, equity_out, state_out):
    """Simulate one genome on one window of the portfolio.

    Args:
        params: decoded genome, shape (22,), columns per core.backtest.enums.
        w0, n_bars: first bar and length of the window on the common time axis.
        open_, high, low, close: prices (A, T).
        vol, avg_vol, atr: (N_LOOKBACKS, A, T) return std, its 100-bar mean, ATR as a fraction.
        regime: (A, T) decision-time regime codes; momentum: (A, T) trailing return.
        entry_long, entry_short: (A, T) entry signals at each bar's close.
        corr: (T, A, A) rolling return correlation.
        participates: (A,) assets with data over the whole window.
        regime_mult: (6, 3) SL/TP/trail multipliers per regime.
        fee, slip: fractions per side. cash0: initial cash (USD).
        record: when true, exit events go into trades (rows, N_TRADE_FIELDS).
        equity_out: (n_bars,) receives the mark-to-market equity at each close.
        state_out: (n_bars,) receives the breaker state decided at each close.
    Returns:
        metrics (N_METRICS,), number of recorded exit events.
    """
    n_assets = open_.shape[0]
    size = np.zeros(n_assets)  # units, signed (negative short)
    side = np.zeros(n_assets)
    entry_ref = np.zeros(n_assets)  # open price at entry, the stop reference
    entry_fill = np.zeros(n_assets)
    entry_bar = np.zeros(n_assets, dtype=np.int64)
    best = np.zeros(n_assets)
    init_units = np.zeros(n_assets)
    tp_done = np.zeros(n_assets, dtype=np.int64)
    trade_cash = np.zeros(n_assets)
    stats = np.zeros(4)
    held_w = np.zeros(n_assets)
    held_c = np.zeros(n_assets * n_assets)

    lb = int(params[VOL_LOOKBACK]) - MIN_LOOKBACK
    max_hold = params[MAX_HOLD]
    n_part = 0
    for a in range(n_assets):
        if participates[a]:
            n_part += 1
    target_frac = position_target_fraction_nb(n_part, params[CONC_LIMIT])
    tp_levels = int(params[TP_LEVELS]) if params[TP_SCALING] > 0.5 else 1
    be_long = break_even_mult_nb(1.0, fee, slip)
    be_short = break_even_mult_nb(-1.0, fee, slip)

    cash = cash0
    equity_prev = cash0
    hwm = cash0
    state = policy.NORMAL
    reduce_done = False
    exit_done = False
    pending_reduce = False
    pending_exit = False
    cooldown = 0
    cooldown_bars = emergency_cooldown_bars_nb(periods_per_year)
    n_rec = 0
    exited = np.zeros(n_assets, dtype=np.bool_)  # closed at this bar's open: no re-entry on the same bar

    for i in range(n_bars):
        t = w0 + i
        exited[:] = False
        # 1. at the open: breaker actions, time exits, entries
        for a in range(n_assets):
            if size[a] == 0.0:
                continue
            units = abs(size[a])
            if pending_exit:
                cash, n_rec = _close_units_nb(a, units, open_[a, t], t, EXIT_BREAKER, side, size, cash,
                                              trade_cash, entry_bar, entry_fill, fee, slip, record, trades, n_rec)
            elif time_exit_due_nb(float(t - entry_bar[a]), max_hold):
                cash, n_rec = _close_units_nb(a, units, open_[a, t], t, EXIT_TIME, side, size, cash,
                                              trade_cash, entry_bar, entry_fill, fee, slip, record, trades, n_rec)
            elif pending_reduce:
                cash, n_rec = _close_units_nb(a, units * policy.REDUCE_FRACTION, open_[a, t], t, EXIT_REDUCE,
                                              side, size, cash, trade_cash, entry_bar, entry_fill, fee, slip,
                                              record, trades, n_rec)
                init_units[a] *= policy.REDUCE_FRACTION
            if _finish_trade_nb(a, size, trade_cash, stats):
                exited[a] = True
        pending_reduce = False
        pending_exit = False

        if t >= 1 and allows_new_risk_nb(state):
            for a in range(n_assets):
                if not participates[a] or size[a] != 0.0 or exited[a]:
                    continue
                direction = 0.0
                if entry_long[a, t - 1]:
                    direction = 1.0
                elif allow_short and entry_short[a, t - 1]:
                    direction = -1.0
                if direction == 0.0:
                    continue
                target_usd = equity_prev * target_frac
                # correlation gate: held positions plus the candidate, weighted by signed notional
                n_held = 0
                for b in range(n_assets):
                    if size[b] != 0.0:
                        held_w[n_held] = size[b] * close[b, t - 1]
                        n_held += 1
                if n_held > 0:
                    held_w[n_held] = direction * target_usd
                    idx = np.empty(n_held + 1, dtype=np.int64)
                    k = 0
                    for b in range(n_assets):
                        if size[b] != 0.0:
                            idx[k] = b
                            k += 1
                    idx[n_held] = a
                    m = n_held + 1
                    for x in range(m):
                        for y in range(m):
                            held_c[x * m + y] = corr[t - 1, idx[x], idx[y]]
                    if weighted_correlation_nb(m, held_w, held_c) > params[CORR_LIMIT]:
                        continue
                px = open_[a, t]
                exec_px = px * (1.0 + slip) if direction > 0 else px * (1.0 - slip)
                units = target_usd / exec_px
                if direction > 0:
                    affordable = cash / (exec_px * (1.0 + fee))
                    if units > affordable:
                        units = affordable
                if units <= 0.0:
                    continue
                if direction > 0:
                    flow = -units * exec_px * (1.0 + fee)
                else:
                    flow = units * exec_px * (1.0 - fee)
                cash += flow
                trade_cash[a] = flow
                size[a] = direction * units
                side[a] = direction
                entry_ref[a] = px
                entry_fill[a] = exec_px
                entry_bar[a] = t
                best[a] = px
                init_units[a] = units
                tp_done[a] = 0

        # 2. intrabar exits for positions opened before this bar
        for a in range(n_assets):
            if size[a] == 0.0 or entry_bar[a] >= t:
                continue
            adv_px, adv_kind, tp, tp_on = position_schedule_nb(
                params, side[a], entry_ref[a], best[a], float(t - entry_bar[a]), vol[lb, a, t - 1],
                avg_vol[lb, a, t - 1], atr[lb, a, t - 1], regime_mult[regime[a, t - 1]], momentum[a, t - 1],
                stops_tightened_nb(state), be_long if side[a] > 0 else be_short)
            e = entry_ref[a]
            o, h, lo = open_[a, t], high[a, t], low[a, t]
            if adv_kind != policy.KIND_NONE and (lo <= adv_px if side[a] > 0 else h >= adv_px):
                # adverse first: the level where the vote passes, at the open when the bar gapped through
                gapped = o <= adv_px if side[a] > 0 else o >= adv_px
                fill = o if gapped else adv_px
                kind = EXIT_TRAIL if adv_kind == policy.KIND_TRAIL else EXIT_SL
                cash, n_rec = _close_units_nb(a, abs(size[a]), fill, t, kind, side, size, cash, trade_cash,
                                              entry_bar, entry_fill, fee, slip, record, trades, n_rec)
                _finish_trade_nb(a, size, trade_cash, stats)
            elif tp_on:
                while tp_done[a] < tp_levels and size[a] != 0.0:
                    lvl = tp_level_px_nb(e, side[a], tp, tp_done[a] + 1, tp_levels)
                    touched = h >= lvl if side[a] > 0 else lo <= lvl
                    if not touched:
                        break
                    gapped = o >= lvl if side[a] > 0 else o <= lvl
                    fill = o if gapped else lvl
                    tp_done[a] += 1
                    units = tp_level_units_nb(init_units[a], abs(size[a]), tp_done[a], tp_levels)
                    cash, n_rec = _close_units_nb(a, units, fill, t, EXIT_TP, side, size, cash, trade_cash,
                                                  entry_bar, entry_fill, fee, slip, record, trades, n_rec)
                _finish_trade_nb(a, size, trade_cash, stats)
            if size[a] != 0.0:
                if side[a] > 0 and h > best[a]:
                    best[a] = h
                elif side[a] < 0 and lo < best[a]:
                    best[a] = lo

        # 3. at the close: mark to market and the breaker
        equity = cash
        for a in range(n_assets):
            if size[a] != 0.0:
                equity += size[a] * close[a, t]
        equity_out[i] = equity
        equity_prev = equity
        if equity > hwm:
            hwm = equity
        ratio = drawdown_fraction_nb(equity, hwm) / params[MAX_DD]
        new_state = breaker_next_state_nb(state, ratio)
        act, reduce_done, exit_done = breaker_episode_nb(new_state, reduce_done, exit_done)
        pending_exit = act == policy.ACT_EXIT
        pending_reduce = act == policy.ACT_REDUCE
        if new_state == policy.EMERGENCY:
            if state != policy.EMERGENCY:
                cooldown = 0
            else:
                cooldown += 1
                if cooldown >= cooldown_bars:
                    hwm = equity  # backtest only; live, an operator resets the peak
        state = new_state
        state_out[i] = state

    # positions still open at the end count as trades closed at the last close
    last = w0 + n_bars - 1
    for a in range(n_assets):
        if size[a] != 0.0:
            cash, n_rec = _close_units_nb(a, abs(size[a]), close[a, last], last, EXIT_END, side, size, cash,
                                          trade_cash, entry_bar, entry_fill, fee, slip, record, trades, n_rec)
            _finish_trade_nb(a, size, trade_cash, stats)
    return window_metrics_nb(equity_out, cash0, stats, periods_per_year), n_rec


@njit(cache=True, nogil=True)
def window_metrics_nb(equity, cash0, stats, periods_per_year):
    """Score (SPEC section 4) and its parts; defined values without trades, never NaN."""
    out = np.zeros(N_METRICS)
    n = equity.shape[0]
    prev = cash0
    s = 0.0
    for i in range(n):
        s += equity[i] / prev - 1.0
        prev = equity[i]
    mean = s / n
    prev = cash0
    ss = 0.0
    for i in range(n):
        d = equity[i] / prev - 1.0 - mean
        ss += d * d
        prev = equity[i]
    std = math.sqrt(ss / (n - 1)) if n > 1 else 0.0
    sharpe = mean / std * math.sqrt(periods_per_year) if std > 1e-15 else 0.0
    peak = cash0
    mdd = 0.0
    for i in range(n):
        if equity[i] > peak:
            peak = equity[i]
        dd = 1.0 - equity[i] / peak
        if dd > mdd:
            mdd = dd
    trades = stats[0]
    win_rate = stats[1] / trades if trades > 0 else 0.0
    if trades == 0:
        pf = 0.0
    elif stats[3] > 0.0:
        pf = min(stats[2] / stats[3], PF_CAP)
    else:
        pf = PF_CAP if stats[2] > 0.0 else 0.0
    if trades == 0:
        sharpe = 0.0
        mdd = 0.0
    out[M_SCORE] = SCORE_W_SHARPE * sharpe + SCORE_W_DD * (1.0 - mdd) + SCORE_W_WIN * win_rate + SCORE_W_PF * pf
    out[M_RETURN] = equity[n - 1] / cash0 - 1.0
    out[M_SHARPE] = sharpe
    out[M_MAXDD] = mdd
    out[M_WINRATE] = win_rate
    out[M_PF] = pf
    out[M_TRADES] = trades
    return out


@njit(cache=True, nogil=True)
def fitness_from_scores_nb(scores, window_regime, n_regimes):
    """Mean over regimes of the mean window score per regime, x 1 / (1 + std of those means)."""
    sums = np.zeros(n_regimes)
    counts = np.zeros(n_regimes)
    for w in range(scores.shape[0]):
        sums[window_regime[w]] += scores[w]
        counts[window_regime[w]] += 1.0
    k = 0
    total = 0.0
    for r in range(n_regimes):
        if counts[r] > 0:
            total += sums[r] / counts[r]
            k += 1
    if k == 0:
        return 0.0
    mean = total / k
    ss = 0.0
    for r in range(n_regimes):
        if counts[r] > 0:
            d = sums[r] / counts[r] - mean
            ss += d * d
    return mean / (1.0 + math.sqrt(ss / k))


@njit(cache=True, nogil=True, parallel=True)
def evaluate_population_nb(params, window_starts, window_bars, window_regime, participation, open_, high, low,
                           close, vol, avg_vol, atr, regime, momentum, entry_long, entry_short, corr,
                           regime_mult, fee, slip, cash0, allow_short, periods_per_year, n_regimes):
    """Fitness (P,) and per-window metrics (P, W, N_METRICS) for a population (P, 22) of decoded
    genomes; each (genome, window) pair is independent, so results do not depend on threads."""
    n_pop = params.shape[0]
    n_win = window_starts.shape[0]
    metrics = np.zeros((n_pop, n_win, N_METRICS))
    for k in prange(n_pop * n_win):
        p = k // n_win
        w = k % n_win
        dummy = np.zeros((1, N_TRADE_FIELDS))
        eq = np.empty(window_bars)
        states = np.empty(window_bars, dtype=np.int64)
        m, _ = simulate_window_nb(params[p], window_starts[w], window_bars, open_, high, low, close, vol,
                                  avg_vol, atr, regime, momentum, entry_long, entry_short, corr,
                                  participation[w], regime_mult, fee, slip, cash0, allow_short,
                                  periods_per_year, False, dummy, eq, states)
        for j in range(N_METRICS):
            metrics[p, w, j] = m[j]
    fitness = np.zeros(n_pop)
    for p in prange(n_pop):
        fitness[p] = fitness_from_scores_nb(metrics[p, :, M_SCORE], window_regime, n_regimes)
    return fitness, metrics
