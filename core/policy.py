"""The risk policy (SPEC sections 2, 4, 5): breaker state, stop / trail / take-profit distances
and position sizing, as pure functions of (parameters, state, market facts).

One policy, two callers: the numba backtest kernel compiles these same functions
(`njit(...)(stop_distances)` in core/backtest/rules_nb.py) and the live monitor calls them as
plain Python. They therefore take scalars and return scalars or tuples, never read a clock and
never touch globals other than the constants below.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from core.vocabulary import BreakerState

# Breaker states (core.vocabulary.BreakerState) as plain ints, the type numba compiles.
NORMAL = int(BreakerState.NORMAL)
TIGHTENED = int(BreakerState.TIGHTENED)
REDUCING = int(BreakerState.REDUCING)
EMERGENCY = int(BreakerState.EMERGENCY)
STALE = int(BreakerState.STALE)  # live-only: no data means no decision
BREAKER_NAMES = tuple(state.name for state in BreakerState)  # index: the int state
# Drawdown as a fraction of max_drawdown_pct at which each state starts.
TIGHTEN_AT, REDUCE_AT, EMERGENCY_AT = 0.5, 0.7, 1.0
HYSTERESIS = 0.1  # a state is left downwards only 0.1 below its threshold
TIGHTENED_STOP_FACTOR = 0.8  # TIGHTENED multiplies stop distances by this
REDUCE_FRACTION = 0.5  # REDUCING halves every position once per episode
EMERGENCY_COOLDOWN_DAYS = 10.0  # backtest only: HWM resets after this long in EMERGENCY (SPEC 2: days)
DAYS_PER_YEAR = 365.0  # crypto trades every day: bars per year / 365 = bars per day

# Clipping of every stop distance (fractions of price).
SL_MIN, SL_MAX = 0.01, 0.50
TRAIL_MIN, TRAIL_MAX = 0.01, 0.30
TP_MIN, TP_MAX = 0.02, 0.60
VOTE_THRESHOLD = 0.3  # exit when the weights of the fired exit kinds sum above this
TRAIL_VOL_SHARE, TP_VOL_SHARE = 0.5, 0.3  # share of the vol scaling applied to trail and TP


BREAKER_THRESHOLDS = (TIGHTEN_AT, REDUCE_AT, EMERGENCY_AT)  # state k starts at BREAKER_THRESHOLDS[k-1]


def breaker_level(dd_ratio: float) -> int:
    """State a drawdown ratio (drawdown / max_drawdown_pct) calls for, ignoring history."""
    level = NORMAL
    for threshold in BREAKER_THRESHOLDS:
        if dd_ratio >= threshold:
            level += 1
    return level


def breaker_next_state(state: int, dd_ratio: float) -> int:
    """Steps up at once; steps down only when the ratio is HYSTERESIS below the threshold.

    The level count is written inline (not via breaker_level) because numba compiles this
    function on its own and cannot call a plain Python helper.
    """
    if state == STALE:
        state = NORMAL
    up = NORMAL
    down = NORMAL
    for threshold in BREAKER_THRESHOLDS:
        if dd_ratio >= threshold:
            up += 1
        if dd_ratio + HYSTERESIS >= threshold:
            down += 1
    if up > state:
        return up
    if down < state:
        return down
    return state


def emergency_cooldown_bars(periods_per_year: float) -> int:
    """The EMERGENCY cool-down in bars of the data (10 on daily bars, 240 on hourly): time genes and
    rules are days whatever the bar size, so an hourly backtest does not reset its peak after 10 hours."""
    return max(1, int(round(EMERGENCY_COOLDOWN_DAYS * periods_per_year / DAYS_PER_YEAR)))


def drawdown_fraction(equity_usd: float, hwm_usd: float) -> float:
    """1 - equity / high-water mark, 0 when there is no peak yet."""
    if hwm_usd <= 0.0 or not equity_usd < math.inf:
        return 0.0
    dd = 1.0 - equity_usd / hwm_usd
    return dd if dd > 0.0 else 0.0


class StopParams(NamedTuple):
    """A genome's stop genes (decoded), the part of policy.stop_distances that is fixed per genome."""

    stop_loss_pct: float
    stop_atr_mult: float
    trail_pct: float
    take_profit_pct: float
    vol_mult: float
    high_vol_ratio: float
    max_hold_bars: float  # the time-decay horizon, in the same unit as StopContext.held_bars
    time_decay: float
    momentum_adj: float
    news_vol_mult: float
    regime_sensitivity: float


class StopContext(NamedTuple):
    """What the market and the position say at decision time (the previous bar's close)."""

    regime_sl: float  # multipliers of the decision-time regime (a REGIME_MULT row)
    regime_tp: float
    regime_trail: float
    vol_ratio: float  # current volatility / its 100-bar average (1.0 when unknown)
    atr_pct: float  # ATR over vol_lookback bars as a fraction of the close (0.0 when unknown)
    held_bars: float  # bars since entry; time decay shrinks stop distances towards time_decay x
    trend_with_position: bool  # the trailing return points the position's way
    tightened: bool  # policy.stops_tightened(breaker state)


def stop_distances(p: StopParams, c: StopContext) -> tuple[float, float, float]:
    """Distances (fractions of price) of stop, trailing stop and take-profit for one position."""
    vol_excess = c.vol_ratio - 1.0
    sl = max(p.stop_loss_pct, p.stop_atr_mult * c.atr_pct)
    sl *= max(0.0, 1.0 + vol_excess * p.vol_mult)
    trail = p.trail_pct * max(0.0, 1.0 + vol_excess * p.vol_mult * TRAIL_VOL_SHARE)
    tp = p.take_profit_pct * max(0.0, 1.0 + vol_excess * p.vol_mult * TP_VOL_SHARE)
    if c.vol_ratio > p.high_vol_ratio:
        sl *= p.news_vol_mult
    sl *= 1.0 + (c.regime_sl - 1.0) * p.regime_sensitivity
    tp *= 1.0 + (c.regime_tp - 1.0) * p.regime_sensitivity
    trail *= 1.0 + (c.regime_trail - 1.0) * p.regime_sensitivity
    frac = c.held_bars / p.max_hold_bars if p.max_hold_bars > 0 else 1.0
    if frac > 1.0:
        frac = 1.0
    decay = 1.0 - (1.0 - p.time_decay) * frac
    sl *= decay
    trail *= decay
    trail *= (1.0 + p.momentum_adj) if c.trend_with_position else (1.0 - p.momentum_adj)
    if c.tightened:
        sl *= TIGHTENED_STOP_FACTOR
        trail *= TIGHTENED_STOP_FACTOR
    return (min(max(sl, SL_MIN), SL_MAX), min(max(trail, TRAIL_MIN), TRAIL_MAX), min(max(tp, TP_MIN), TP_MAX))


# Kinds of the schedule's adverse level (the same codes as core.backtest.enums EXIT_SL / EXIT_TRAIL).
KIND_NONE, KIND_SL, KIND_TRAIL = -1, 0, 1
# Breaker-episode actions: what a breaker state asks for once per episode.
ACT_NONE, ACT_REDUCE, ACT_EXIT = 0, 1, 2


def break_even_mult(side: float, fee: float, slip: float) -> float:
    """Price / entry at which a round trip with these fees and slippage nets zero."""
    if side > 0:
        return (1.0 + fee) * (1.0 + slip) / ((1.0 - fee) * (1.0 - slip))
    return (1.0 - fee) * (1.0 - slip) / ((1.0 + fee) * (1.0 + slip))


def adverse_exit(side: float, entry_px: float, best_px: float, sl_dist: float, trail_dist: float,
                 trail_activation_pct: float, trail_only_profit: bool, break_even_px: float,
                 w_sl: float, w_trail: float) -> tuple[float, int]:
    """The adverse price at which the weighted vote first passes, and the kind that sets it.

    Walking the price against the position, the stop-loss and (when armed) the trailing level
    fire in turn. The vote passes at the nearer one when its own weight passes, otherwise at the
    farther one when the farther one's weight or the sum passes; a kind whose weight can never
    pass never sets the price. (nan, KIND_NONE) when no adverse move ever passes the vote.

    Args:
        side: +1 long, -1 short. entry_px, best_px: the stop reference and the best price since.
        sl_dist, trail_dist: policy.stop_distances outputs (fractions of price).
        break_even_px: floor of the trail when trail_only_profit (entry x break_even_mult).
    """
    if side > 0:
        sl_px = entry_px * (1.0 - sl_dist)
        armed = best_px >= entry_px * (1.0 + trail_activation_pct)
        tr_px = best_px * (1.0 - trail_dist)
        if trail_only_profit and tr_px < break_even_px:
            tr_px = break_even_px
    else:
        sl_px = entry_px * (1.0 + sl_dist)
        armed = best_px <= entry_px * (1.0 - trail_activation_pct)
        tr_px = best_px * (1.0 + trail_dist)
        if trail_only_profit and tr_px > break_even_px:
            tr_px = break_even_px
    sl_passes = w_sl > VOTE_THRESHOLD
    if not armed:
        return (sl_px, KIND_SL) if sl_passes else (math.nan, KIND_NONE)
    tr_passes = w_trail > VOTE_THRESHOLD
    trail_nearer = (tr_px - sl_px) * side > 0.0  # a tie goes to the stop-loss
    near_px, near_kind, near_passes = (tr_px, KIND_TRAIL, tr_passes) if trail_nearer else (sl_px, KIND_SL, sl_passes)
    far_px, far_kind = (sl_px, KIND_SL) if trail_nearer else (tr_px, KIND_TRAIL)
    if near_passes:
        return near_px, near_kind
    if sl_passes or tr_passes or w_sl + w_trail > VOTE_THRESHOLD:
        return far_px, far_kind
    return math.nan, KIND_NONE


def take_profit_passes(w_tp: float) -> bool:
    """Take-profit levels exist only when the take-profit weight passes the vote on its own: no
    adverse kind can fire at a price beyond the entry, so nothing can add to it."""
    return w_tp > VOTE_THRESHOLD


def tp_level_px(entry_px: float, side: float, tp_dist: float, level: int, n_levels: int) -> float:
    """Price of scale-out level `level` (1..n_levels), evenly spaced up to the take-profit distance."""
    return entry_px * (1.0 + side * tp_dist * level / n_levels)


def tp_level_units(initial_units: float, remaining_units: float, level: int, n_levels: int) -> float:
    """Units a scale-out level closes: an equal part of the initial size, the whole rest at the last."""
    if level >= n_levels:
        return remaining_units
    part = initial_units / n_levels
    return part if part < remaining_units else remaining_units


def time_exit_due(held: float, max_hold: float) -> bool:
    """The hard time exit (no vote): due once held for max_hold (same unit as held)."""
    return held >= max_hold


def breaker_episode(new_state: int, reduce_done: bool, exit_done: bool) -> tuple[int, bool, bool]:
    """What the breaker asks for this step, once per episode: (ACT_*, reduce_done, exit_done).

    REDUCING halves once until the state is back to NORMAL or TIGHTENED; EMERGENCY closes
    everything once until the state leaves EMERGENCY. The kernel acts on it without an operator;
    the monitor turns it into a pending action.
    """
    if new_state == NORMAL or new_state == TIGHTENED:
        reduce_done = False
    if new_state != EMERGENCY:
        exit_done = False
    if new_state == EMERGENCY and not exit_done:
        return ACT_EXIT, reduce_done, True
    if new_state == REDUCING and not reduce_done:
        return ACT_REDUCE, True, exit_done
    return ACT_NONE, reduce_done, exit_done


def exit_vote_passes(w_sl: float, w_trail: float, w_tp: float, fired_sl: bool, fired_trail: bool,
                     fired_tp: bool) -> bool:
    """The weighted exit vote: exit when the weights of the kinds that fired sum above 0.3."""
    total = 0.0
    if fired_sl:
        total += w_sl
    if fired_trail:
        total += w_trail
    if fired_tp:
        total += w_tp
    return total > VOTE_THRESHOLD


def position_target_fraction(n_assets: int, concentration_limit: float) -> float:
    """Fraction of equity for a new position: equal weight, capped by the concentration limit."""
    equal = 1.0 / n_assets if n_assets > 0 else 0.0
    return equal if equal < concentration_limit else concentration_limit


def stops_tightened(state: int) -> bool:
    """Stops sit at x0.8 from TIGHTENED upwards: a breaker that jumps straight to REDUCING or
    EMERGENCY (a gap) must not leave looser stops than one that climbed step by step."""
    return TIGHTENED <= state <= EMERGENCY


def allows_new_risk(state: int) -> bool:
    """New positions are allowed in NORMAL and TIGHTENED only (never from REDUCING upward or STALE)."""
    return state == NORMAL or state == TIGHTENED


def weighted_correlation(n: int, weights: "list[float]", corr_flat: "list[float]") -> float:
    """Side-aware weighted average pairwise correlation of n holdings (corr_flat is n x n row-major).

    `weights` are SIGNED notionals (positive long, negative short). A pair counts with weight
    w_i * w_j over the sum of |w_i * w_j|, so two correlated longs (or two correlated shorts) add
    correlation risk while a short against a correlated long is a hedge and lowers the figure
    (down to -1 for a perfect hedge). 0.0 when fewer than two holdings.
    """
    num = 0.0
    den = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            w = weights[i] * weights[j]
            c = corr_flat[i * n + j]
            if c == c:  # skip NaN correlations (not enough history)
                num += w * c
                den += abs(w)
    return num / den if den > 0.0 else 0.0


# ---- perp risk (issue 16): liquidation-aware stops and the WATCH tier --------------------------
# Kept apart from the exit schedule above. Plain Python (the backtest kernel models no margin).
LIQUIDATION_BUFFER_FRACTION = 0.05  # a stop keeps 5 % of the entry-to-liquidation distance inside it
WATCH_FRACTION = 0.35  # WATCH at 0.35 x max_drawdown_pct: an alert and a colour, never an action


def watch_level(dd_ratio: float, watch_fraction: float = WATCH_FRACTION) -> bool:
    """The drawdown has reached the WATCH tier (drawdown / max_drawdown_pct >= watch_fraction)."""
    return dd_ratio >= watch_fraction


def stop_inside_liquidation(stop_px: float, reference_px: float, liquidation_px: float | None, side: int,
                            buffer_fraction: float = LIQUIDATION_BUFFER_FRACTION) -> float:
    """The stop, or the level `buffer_fraction` of the reference-to-liquidation distance inside the
    liquidation price when the stop lies beyond it (a stop the venue's liquidation would beat
    protects nothing). `side` is +1 long (liquidation below), -1 short (above).

    The reference is the entry price, not the mark: a buffer measured from the mark would shrink
    as the price walks towards liquidation and drag the stop along with it, until both fill in
    the same tick. No liquidation price, or one on the wrong side of the reference, leaves the stop.
    """
    if liquidation_px is None or liquidation_px <= 0.0 or reference_px <= 0.0:
        return stop_px
    gap = (reference_px - liquidation_px) * side
    if gap <= 0.0:
        return stop_px
    limit = liquidation_px + side * buffer_fraction * gap
    return limit if (stop_px - limit) * side < 0.0 else stop_px


def maintenance_fraction(max_leverage: float) -> float:
    """Hyperliquid's maintenance margin per unit of notional: half the initial margin at max leverage."""
    return 0.5 / max_leverage


def cross_liquidation_px(mark_px: float, size: float, equity_usd: float, other_maintenance_usd: float,
                         max_leverage: float) -> float | None:
    """The mark of this coin at which a cross account's equity meets its maintenance margin, the
    other positions held fixed (Hyperliquid's formula: mark - side x margin_available / |size| /
    (1 - l x side), l = maintenance fraction). None when no positive price liquidates it.

    Args:
        size: signed units of the coin's whole position (negative short).
        other_maintenance_usd: maintenance margin of every other position.
    """
    if size == 0.0 or mark_px <= 0.0 or max_leverage <= 0.0:
        return None
    side = 1.0 if size > 0 else -1.0
    frac = maintenance_fraction(max_leverage)
    available = equity_usd - other_maintenance_usd - abs(size) * mark_px * frac
    px = mark_px - side * available / abs(size) / (1.0 - frac * side)
    return px if px > 0.0 else None
