"""Per-position exit schedule and snapshot row, from the shared policy (never re-implemented).

The schedule is composed exactly as the backtest kernel composes it
(core.backtest.rules_nb.exit_schedule_nb): `policy.stop_distances`, then
`policy.adverse_exit` for the one adverse level where the weighted vote passes, and the
take-profit scale-out levels only when `policy.take_profit_passes`. What rests on the exchange
(core/monitor/standing.py) and what the positions panel draws both come from this schedule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from core import policy
from core.exchange.models import Position
from core.genome import RiskParams
from core.monitor.indicators import CoinIndicators
from core.monitor.snapshot import PositionRisk
from core.monitor.state import Track
from core.regimes import REGIME_MULT

MS_PER_DAY = 86_400_000  # the genome's bar unit is a day
TAKER_FEE = 0.00045  # Hyperliquid base taker fee per side: the break-even of a live position
KIND_NAMES = {policy.KIND_SL: "stop", policy.KIND_TRAIL: "trail"}


@dataclass(frozen=True)
class TakeProfitLevel:
    level: int  # 1..n_levels
    px: float
    size: float  # units this level closes


@dataclass(frozen=True)
class ExitSchedule:
    """Where a position exits: one adverse level (or none), take-profit scale-outs, the time exit."""

    adverse_px: float | None  # None: no adverse move ever passes the vote
    adverse_kind: str | None  # "stop" | "trail"
    take_profits: tuple[TakeProfitLevel, ...]
    time_exit_due: bool
    stop_distance: float
    trail_distance: float
    take_profit_distance: float
    stop_px: float  # the stop-loss level and the armed trail, shown even when they cannot pass the vote
    trail_px: float | None


def distances(params: RiskParams, ind: CoinIndicators, held_days: float, side: int, tightened: bool
              ) -> tuple[float, float, float]:
    """(stop, trail, take-profit) distances as fractions of price, straight from the policy."""
    with_trend = ind.momentum == ind.momentum and ind.momentum * side > 0.0
    mult = REGIME_MULT[ind.regime]
    return policy.stop_distances(stop_params(params), policy.StopContext(
        regime_sl=float(mult[0]), regime_tp=float(mult[1]), regime_trail=float(mult[2]), vol_ratio=ind.vol_ratio,
        atr_pct=ind.atr_pct, held_bars=held_days, trend_with_position=bool(with_trend), tightened=tightened))


def stop_params(params: RiskParams) -> policy.StopParams:
    """The genome's stop genes as the policy reads them (time in days: the monitor's bar is a day)."""
    return policy.StopParams(
        stop_loss_pct=params.stop_loss_pct, stop_atr_mult=params.stop_atr_mult, trail_pct=params.trail_pct,
        take_profit_pct=params.take_profit_pct, vol_mult=params.vol_mult, high_vol_ratio=params.high_vol_ratio,
        max_hold_bars=float(params.max_hold_days), time_decay=params.time_decay, momentum_adj=params.momentum_adj,
        news_vol_mult=params.news_vol_mult, regime_sensitivity=params.regime_sensitivity)


def n_tp_levels(params: RiskParams) -> int:
    return params.tp_levels if params.tp_scaling else 1


def exit_schedule(params: RiskParams, side: int, entry_px: float, best_px: float, held_days: float,
                  ind: CoinIndicators, tightened: bool, size_abs: float, tp_done: int = 0,
                  fee: float = TAKER_FEE, slippage: float = 0.0) -> ExitSchedule:
    """The policy's exit schedule of one position (section 4), the same composition as the kernel.

    Args:
        side: +1 long, -1 short. best_px: best price since entry. held_days: time held.
        size_abs: current size; the take-profit sizes split what remains over the levels left.
        tp_done: scale-out levels already taken. fee, slippage: per side, for the break-even floor.
    """
    sl, tr, tp = distances(params, ind, held_days, side, tightened)
    be_px = entry_px * policy.break_even_mult(float(side), fee, slippage)
    adv_px, adv_kind = policy.adverse_exit(float(side), entry_px, best_px, sl, tr, params.trail_activation_pct,
                                           params.trail_only_profit, be_px, params.w_sl, params.w_trail)
    n = n_tp_levels(params)
    tps = []
    if policy.take_profit_passes(params.w_tp) and tp_done < n:
        initial = size_abs * n / (n - tp_done)  # remaining size is spread evenly over the levels left
        remaining = size_abs
        for k in range(tp_done + 1, n + 1):
            units = policy.tp_level_units(initial, remaining, k, n)
            tps.append(TakeProfitLevel(k, policy.tp_level_px(entry_px, float(side), tp, k, n), units))
            remaining -= units
    armed_trail = None
    act = params.trail_activation_pct
    if (best_px >= entry_px * (1.0 + act)) if side > 0 else (best_px <= entry_px * (1.0 - act)):
        armed_trail = best_px * (1.0 - side * tr)
        if params.trail_only_profit and (armed_trail - be_px) * side < 0:
            armed_trail = be_px
    return ExitSchedule(
        adverse_px=None if adv_kind == policy.KIND_NONE else adv_px, adverse_kind=KIND_NAMES.get(adv_kind),
        take_profits=tuple(tps), time_exit_due=policy.time_exit_due(held_days, float(params.max_hold_days)),
        stop_distance=sl, trail_distance=tr, take_profit_distance=tp, stop_px=entry_px * (1.0 - side * sl),
        trail_px=armed_trail)


def _dist(mark_px: float, level: float | None, side: int) -> float | None:
    """Fraction of the mark between it and a stop level; negative once the level is crossed."""
    return None if level is None else (mark_px - level) * side / mark_px


def schedule_for(params: RiskParams, pos: Position, ind: CoinIndicators, track: Track, venue_now_ms: int,
                 tightened: bool, entry_slippage: float = 0.0, fee: float = TAKER_FEE) -> ExitSchedule:
    """The schedule of a live position as the monitor has tracked it (venue clock for held time).
    `entry_slippage` takes the slippage out of the venue's entry price, so the stop reference is
    the pre-slippage price as in the backtest (replay sets the kernel's)."""
    side = 1 if pos.size > 0 else -1
    held_days = max(0.0, (venue_now_ms - track.first_seen_ms) / MS_PER_DAY)
    entry = pos.entry_px / (1.0 + side * entry_slippage)
    return exit_schedule(params, side, entry, track.best_px, held_days, ind, tightened, abs(pos.size),
                         track.tp_done, fee=fee, slippage=entry_slippage)


def position_risk(params: RiskParams, pos: Position, mark_px: float, equity_usd: float, ind: CoinIndicators,
                  track: Track, venue_now_ms: int, tightened: bool, entry_slippage: float = 0.0,
                  fee: float = TAKER_FEE) -> tuple[PositionRisk, ExitSchedule]:
    """The snapshot row of one position and its exit schedule."""
    side = 1 if pos.size > 0 else -1
    sched = schedule_for(params, pos, ind, track, venue_now_ms, tightened, entry_slippage, fee)
    entry = pos.entry_px
    tp_px = sched.take_profits[0].px if sched.take_profits else None
    adverse_hit = sched.adverse_px is not None and (mark_px - sched.adverse_px) * side <= 0
    tp_hit = tp_px is not None and (mark_px - tp_px) * side >= 0
    notional = abs(pos.size) * mark_px
    concentration = notional / equity_usd if equity_usd > 0 else math.inf
    row = PositionRisk(
        coin=pos.coin, side="long" if side > 0 else "short", size=pos.size, entry_px=entry, mark_px=mark_px,
        unrealized_pnl_usd=(mark_px - entry) * pos.size, notional_usd=notional, concentration=concentration,
        stop_px=sched.stop_px, trail_px=sched.trail_px, take_profit_px=tp_px,
        dist_stop=_dist(mark_px, sched.stop_px, side), dist_trail=_dist(mark_px, sched.trail_px, side),
        dist_take_profit=None if tp_px is None else (tp_px - mark_px) * side / mark_px,
        held_hours=max(0.0, (venue_now_ms - track.first_seen_ms) / 3_600_000),
        concentration_breached=concentration > params.concentration_limit,
        exit_vote=adverse_hit or tp_hit, time_exit_due=sched.time_exit_due, stop_distance=sched.stop_distance,
        trail_distance=sched.trail_distance, take_profit_distance=sched.take_profit_distance,
        exit_px=sched.adverse_px, exit_kind=sched.adverse_kind)
    return row, sched
