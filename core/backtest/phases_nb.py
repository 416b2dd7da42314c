"""The phases of one bar of the portfolio backtest, composed by core/backtest/kernel_nb.py.

Bar t, every decision from information up to bar t-1's close:
  1. open_actions_nb: breaker actions decided at the previous close (halve / close all) and hard
     time exits, at the open;
  2. enter_positions_nb: entries signalled at the previous close, at the open, through the
     correlation gate;
  3. intrabar_exits_nb: stop, trailing stop and take-profit levels from bar t-1's indicators; the
     weighted vote decides; the adverse level is assumed first (SL/trail before TP); fills at the
     level, or at the open when the bar gaps through it;
  4. close_bar_nb: mark to market, drawdown, breaker state for the next bar.
Positions opened at bar t are not stop-checked on bar t (its intrabar order is unknown), the same
convention as vectorbt's from_signals, our test oracle. Every rule is a core.policy function
compiled here; the phases only sequence them and keep the books (Scratch, enums.py).
"""
from __future__ import annotations

from core import policy
from core.backtest.books_nb import add_to_book_nb, close_units_nb, finish_trade_nb, open_position_nb
from core.backtest.enums import EXIT_BREAKER, EXIT_END, EXIT_REDUCE, EXIT_SL, EXIT_TIME, EXIT_TP, EXIT_TRAIL
from core.backtest.rules_nb import (
    allows_new_risk_nb, breaker_episode_nb, breaker_next_state_nb, drawdown_fraction_nb, exit_schedule_nb, inline_nb,
    jit_nb, stops_tightened_nb, take_profit_fill_nb, time_exit_due_nb, weighted_correlation_nb,
)


@inline_nb
def open_actions_nb(t, rules, market, costs, scratch):
    """Phase 1, at bar t's open: the breaker action decided at the previous close, else time exits."""
    acct = scratch.account[0]
    action = acct.pending_action
    kept = 0
    for j in range(acct.n_open):
        a = scratch.book[j]
        pos = scratch.positions[a]
        units = abs(pos.units)
        open_px = market.open[a, t]
        if action == policy.ACT_EXIT:
            close_units_nb(a, units, open_px, t, EXIT_BREAKER, costs, scratch)
        elif time_exit_due_nb(float(t - pos.entry_bar), rules.max_hold_bars):
            close_units_nb(a, units, open_px, t, EXIT_TIME, costs, scratch)
        elif action == policy.ACT_REDUCE:
            close_units_nb(a, units * policy.REDUCE_FRACTION, open_px, t, EXIT_REDUCE, costs, scratch)
            pos.initial_units *= policy.REDUCE_FRACTION
        if not finish_trade_nb(a, t, scratch):
            scratch.book[kept] = a
            kept += 1
    acct.n_open = kept
    acct.pending_action = policy.ACT_NONE


@inline_nb
def gather_holdings_nb(t, market, scratch):
    """The correlation gate's view of the book before a candidate: held assets in asset order, their
    signed notionals at the previous close, and the upper triangle of their correlations laid out
    for n_held + 1 rows (the candidate's column is filled per candidate). Returns n_held."""
    n_held = scratch.account[0].n_open
    for j in range(n_held):
        b = scratch.book[j]
        scratch.held_assets[j] = b
        scratch.held_weights[j] = scratch.positions[b].units * market.close[b, t - 1]
    m = n_held + 1
    for x in range(n_held):
        for y in range(x + 1, n_held):
            scratch.held_corr[x * m + y] = market.corr[t - 1, scratch.held_assets[x], scratch.held_assets[y]]
    return n_held


@inline_nb
def correlation_allows_nb(t, a, weight_usd, n_held, limit, market, scratch):
    """True when adding asset a (signed notional weight_usd) keeps the book's weighted correlation
    (policy.weighted_correlation, which reads only the upper triangle) within the limit."""
    m = n_held + 1
    scratch.held_assets[n_held] = a
    scratch.held_weights[n_held] = weight_usd
    for x in range(n_held):
        scratch.held_corr[x * m + n_held] = market.corr[t - 1, scratch.held_assets[x], a]
    return not weighted_correlation_nb(m, scratch.held_weights, scratch.held_corr) > limit


@inline_nb
def enter_positions_nb(t, first, end, rules, market, costs, signals, scratch):
    """Phase 2, at bar t's open: the entries signalled at the previous close (signals.asset and
    .direction[first:end], in asset order), when the breaker allows new risk and the correlation
    gate passes."""
    acct = scratch.account[0]
    if not allows_new_risk_nb(acct.state):
        return
    target_usd = acct.equity_usd * rules.target_fraction
    n_held = -1  # holdings not gathered yet (or changed by an entry)
    for k in range(first, end):
        a = signals.asset[k]
        if scratch.positions[a].units != 0.0 or scratch.positions[a].closed_bar == t:
            continue
        direction = signals.direction[k]
        if n_held < 0:
            n_held = gather_holdings_nb(t, market, scratch)
        if n_held > 0 and not correlation_allows_nb(t, a, direction * target_usd, n_held, rules.correlation_limit,
                                                     market, scratch):
            continue
        if open_position_nb(a, t, direction, target_usd, costs, market, scratch):
            add_to_book_nb(a, scratch)
            n_held = -1


@inline_nb
def intrabar_exits_nb(t, rules, market, costs, scratch):
    """Phase 3, inside bar t: the adverse level first, else the take-profit levels, for positions
    opened before bar t; then the best price since entry takes in bar t's extreme."""
    acct = scratch.account[0]
    tightened = stops_tightened_nb(acct.state)
    slot = rules.lookback_slot
    kept = 0
    for j in range(acct.n_open):
        a = scratch.book[j]
        pos = scratch.positions[a]
        if pos.entry_bar >= t:
            scratch.book[kept] = a
            kept += 1
            continue
        side = pos.side
        regime = market.regime[a, t - 1]
        adverse_px, adverse_kind, tp_dist, tp_on = exit_schedule_nb(
            rules.exits, side, pos.ref_px, pos.best_px, float(t - pos.entry_bar), market.vol[slot, a, t - 1],
            market.avg_vol[slot, a, t - 1], market.atr[slot, a, t - 1], market.regime_mult[regime, 0],
            market.regime_mult[regime, 1], market.regime_mult[regime, 2], market.momentum[a, t - 1], tightened,
            rules.break_even_long if side > 0 else rules.break_even_short)
        open_px, high_px, low_px = market.open[a, t], market.high[a, t], market.low[a, t]
        if adverse_kind != policy.KIND_NONE and (low_px <= adverse_px if side > 0 else high_px >= adverse_px):
            gapped = open_px <= adverse_px if side > 0 else open_px >= adverse_px
            kind = EXIT_TRAIL if adverse_kind == policy.KIND_TRAIL else EXIT_SL
            close_units_nb(a, abs(pos.units), open_px if gapped else adverse_px, t, kind, costs, scratch)
            finish_trade_nb(a, t, scratch)
        elif tp_on:
            reached, units, fill_px = take_profit_fill_nb(pos, tp_dist, rules.tp_levels, open_px, high_px, low_px)
            while reached:
                close_units_nb(a, units, fill_px, t, EXIT_TP, costs, scratch)
                reached, units, fill_px = take_profit_fill_nb(pos, tp_dist, rules.tp_levels, open_px, high_px,
                                                              low_px)
            finish_trade_nb(a, t, scratch)
        if pos.units != 0.0:
            if side > 0 and high_px > pos.best_px:
                pos.best_px = high_px
            elif side < 0 and low_px < pos.best_px:
                pos.best_px = low_px
            scratch.book[kept] = a
            kept += 1
    acct.n_open = kept


@jit_nb
def close_bar_nb(i, t, rules, market, scratch):
    """Phase 4, at bar t's close (the window's bar i): mark to market, then the breaker state and
    the action it asks for at the next open."""
    acct = scratch.account[0]
    equity = acct.cash_usd
    for j in range(acct.n_open):
        a = scratch.book[j]
        equity += scratch.positions[a].units * market.close[a, t]
    scratch.equity[i] = equity
    acct.equity_usd = equity
    if equity > acct.hwm_usd:
        acct.hwm_usd = equity
    ratio = drawdown_fraction_nb(equity, acct.hwm_usd) / rules.max_drawdown_pct
    state = acct.state
    new_state = breaker_next_state_nb(state, ratio)
    action, reduce_done, exit_done = breaker_episode_nb(new_state, acct.reduce_done, acct.exit_done)
    acct.pending_action = action
    acct.reduce_done = reduce_done
    acct.exit_done = exit_done
    if new_state == policy.EMERGENCY:
        if state != policy.EMERGENCY:
            acct.emergency_bars = 0
        else:
            acct.emergency_bars += 1
            if acct.emergency_bars >= rules.emergency_cooldown_bars:
                acct.hwm_usd = equity  # backtest only; live, an operator resets the peak
    acct.state = new_state
    scratch.states[i] = new_state


@jit_nb
def close_at_window_end_nb(last, market, costs, scratch):
    """Positions still open at the end count as trades closed at the last close."""
    acct = scratch.account[0]
    for j in range(acct.n_open):
        a = scratch.book[j]
        close_units_nb(a, abs(scratch.positions[a].units), market.close[a, last], last, EXIT_END, costs, scratch)
        finish_trade_nb(a, last, scratch)
    acct.n_open = 0
