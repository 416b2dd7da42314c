"""The policy as the kernel compiles it: core.policy's rules under numba, a genome's rules decoded
once per window, and the exit schedule of one position (the same composition as the live monitor's
core/monitor/levels.py, checked against it by tests/backtest/test_exit_schedule.py)."""
from __future__ import annotations

import core.numba_cache  # noqa: F401  (first: keys numba's cache on every kernel source)
from numba import njit

from core import policy
from core.backtest.enums import (
    ATR_MULT, CONC_LIMIT, CORR_LIMIT, HIGH_VOL_RATIO, MAX_DD, MAX_HOLD, MIN_LOOKBACK, MOMENTUM_ADJ, NEWS_VOL_MULT,
    REGIME_SENS, SL_PCT, TIME_DECAY, TP_LEVELS, TP_PCT, TP_SCALING, TRAIL_ACT, TRAIL_ONLY_PROFIT, TRAIL_PCT,
    VOL_LOOKBACK, VOL_MULT, W_SL, W_TP, W_TRAIL, ExitRules, WindowRules,
)
from core.policy import StopContext, StopParams

# error_model="numpy": no raise path for a division, so numba's reference-count pruning can drop
# the array reference counting around every phase call (atomic operations on arrays that both
# threads share); a division by zero yields inf/nan instead of an exception the kernel never had.
jit_nb = njit(cache=True, nogil=True, error_model="numpy")
# Inlined at numba level: a call LLVM leaves out of line stops the pruning in its caller's loop.
inline_nb = njit(cache=True, nogil=True, error_model="numpy", inline="always")
stop_distances_nb = inline_nb(policy.stop_distances)
breaker_next_state_nb = jit_nb(policy.breaker_next_state)
drawdown_fraction_nb = jit_nb(policy.drawdown_fraction)
emergency_cooldown_bars_nb = jit_nb(policy.emergency_cooldown_bars)
position_target_fraction_nb = jit_nb(policy.position_target_fraction)
allows_new_risk_nb = jit_nb(policy.allows_new_risk)
stops_tightened_nb = jit_nb(policy.stops_tightened)
weighted_correlation_nb = inline_nb(policy.weighted_correlation)
adverse_exit_nb = inline_nb(policy.adverse_exit)
take_profit_passes_nb = jit_nb(policy.take_profit_passes)
tp_level_px_nb = jit_nb(policy.tp_level_px)
tp_level_units_nb = jit_nb(policy.tp_level_units)
time_exit_due_nb = jit_nb(policy.time_exit_due)
breaker_episode_nb = jit_nb(policy.breaker_episode)
break_even_mult_nb = jit_nb(policy.break_even_mult)


@jit_nb
def exit_rules_nb(params):
    """ExitRules of a decoded genome row (22,), columns per core.backtest.enums."""
    stop = StopParams(params[SL_PCT], params[ATR_MULT], params[TRAIL_PCT], params[TP_PCT], params[VOL_MULT],
                      params[HIGH_VOL_RATIO], params[MAX_HOLD], params[TIME_DECAY], params[MOMENTUM_ADJ],
                      params[NEWS_VOL_MULT], params[REGIME_SENS])
    return ExitRules(stop, params[TRAIL_ACT], params[TRAIL_ONLY_PROFIT] > 0.5, params[W_SL], params[W_TRAIL],
                     take_profit_passes_nb(params[W_TP]))


@jit_nb
def window_rules_nb(params, participates, costs):
    """WindowRules of a decoded genome on a window where `participates` (A,) assets have data."""
    n_part = 0
    for a in range(participates.shape[0]):
        if participates[a]:
            n_part += 1
    return WindowRules(
        exit_rules_nb(params), int(params[VOL_LOOKBACK]) - MIN_LOOKBACK, params[MAX_HOLD],
        position_target_fraction_nb(n_part, params[CONC_LIMIT]),
        int(params[TP_LEVELS]) if params[TP_SCALING] > 0.5 else 1,
        break_even_mult_nb(1.0, costs.fee, costs.slippage), break_even_mult_nb(-1.0, costs.fee, costs.slippage),
        params[CORR_LIMIT], params[MAX_DD], emergency_cooldown_bars_nb(costs.periods_per_year))


@inline_nb
def exit_schedule_nb(exits, side, entry_px, best_px, held_bars, vol, avg_vol, atr_pct, regime_sl, regime_tp,
                     regime_trail, momentum, tightened, be_mult):
    """The policy's exit schedule of one position at one bar, from the previous bar's indicators.

    Args:
        exits: ExitRules. side: +1 / -1. entry_px: the stop reference (entry open).
        best_px: best price since entry. held_bars: bars since entry.
        vol, avg_vol, atr_pct: indicators at the previous close (NaN when unknown).
        regime_sl, regime_tp, regime_trail: multipliers of the decision-time regime.
        momentum: trailing return (NaN when unknown). be_mult: policy.break_even_mult.
    Returns:
        (adverse_px, adverse_kind, take_profit distance, take-profit levels active).
    """
    vol_ratio = vol / avg_vol if (avg_vol > 0.0 and vol == vol) else 1.0
    if not atr_pct == atr_pct:
        atr_pct = 0.0
    with_trend = (momentum == momentum) and momentum * side > 0.0
    sl, tr, tp = stop_distances_nb(exits.stop, StopContext(regime_sl, regime_tp, regime_trail, vol_ratio, atr_pct,
                                                           held_bars, with_trend, tightened))
    adv_px, adv_kind = adverse_exit_nb(side, entry_px, best_px, sl, tr, exits.trail_activation_pct,
                                       exits.trail_only_profit, entry_px * be_mult, exits.w_sl, exits.w_trail)
    return adv_px, adv_kind, tp, exits.take_profit_on


@jit_nb
def position_schedule_nb(params, side, entry_px, best_px, held_bars, vol, avg_vol, atr_pct, regime_row, momentum,
                         tightened, be_mult):
    """exit_schedule_nb from a decoded genome row and a REGIME_MULT row: the kernel's schedule as
    the monitor-parity tests call it."""
    return exit_schedule_nb(exit_rules_nb(params), side, entry_px, best_px, held_bars, vol, avg_vol, atr_pct,
                            regime_row[0], regime_row[1], regime_row[2], momentum, tightened, be_mult)


@jit_nb
def take_profit_fill_nb(pos, tp_dist, tp_levels, open_px, high_px, low_px):
    """The next scale-out level the bar reaches: (reached, units, fill price at the level or at the
    open when gapped); counts the level as taken in the position record."""
    if pos.tp_done >= tp_levels or pos.units == 0.0:
        return False, 0.0, 0.0
    level_px = tp_level_px_nb(pos.ref_px, pos.side, tp_dist, pos.tp_done + 1, tp_levels)
    touched = high_px >= level_px if pos.side > 0 else low_px <= level_px
    if not touched:
        return False, 0.0, 0.0
    gapped = open_px >= level_px if pos.side > 0 else open_px <= level_px
    pos.tp_done += 1
    units = tp_level_units_nb(pos.initial_units, abs(pos.units), pos.tp_done, tp_levels)
    return True, units, open_px if gapped else level_px
