"""Per-position stop / trail / take-profit levels from the shared policy (never re-implemented).

Mirrors the backtest kernel's use of `policy.stop_distances`: stops from the entry price, the
trail from the best price since entry and armed after `trail_activation_pct`, take-profit at
the first scale-out level, the trail floored at break-even when `trail_only_profit`.
"""
from __future__ import annotations

import math

from core import policy
from core.exchange.models import Position
from core.genome import RiskParams
from core.monitor.indicators import CoinIndicators
from core.monitor.snapshot import PositionRisk
from core.monitor.state import Track
from core.regimes import REGIME_MULT

MS_PER_DAY = 86_400_000  # the genome's bar unit is a day
TAKER_FEE = 0.00045  # Hyperliquid base taker fee per side: the break-even of a live position


def distances(params: RiskParams, ind: CoinIndicators, held_days: float, side: int, tightened: bool
              ) -> tuple[float, float, float]:
    """(stop, trail, take-profit) distances as fractions of price, straight from the policy."""
    with_trend = ind.momentum == ind.momentum and ind.momentum * side > 0.0
    mult = REGIME_MULT[ind.regime]
    return policy.stop_distances(
        params.stop_loss_pct, params.stop_atr_mult, params.trail_pct, params.take_profit_pct, params.vol_mult,
        params.high_vol_ratio, float(params.max_hold_days), params.time_decay, params.momentum_adj,
        params.news_vol_mult, params.regime_sensitivity, float(mult[0]), float(mult[1]), float(mult[2]),
        ind.vol_ratio, ind.atr_pct, held_days, bool(with_trend), tightened)


def _dist(mark_px: float, level: float | None, side: int) -> float | None:
    """Fraction of the mark between it and a stop level; negative once the level is crossed."""
    return None if level is None else (mark_px - level) * side / mark_px


def position_risk(params: RiskParams, pos: Position, mark_px: float, equity_usd: float, ind: CoinIndicators,
                  track: Track, venue_now_ms: int, tightened: bool) -> tuple[PositionRisk, float]:
    """The snapshot row of one position and its protective level (stop, or the armed trail if tighter)."""
    side = 1 if pos.size > 0 else -1
    held_days = max(0.0, (venue_now_ms - track.first_seen_ms) / MS_PER_DAY)
    sl, tr, tp = distances(params, ind, held_days, side, tightened)
    entry = pos.entry_px
    tp_levels = params.tp_levels if params.tp_scaling else 1
    stop_px = entry * (1.0 - side * sl)
    tp_px = entry * (1.0 + side * tp / tp_levels)
    armed = (track.best_px - entry) * side >= entry * params.trail_activation_pct
    trail_px = None
    if armed:
        trail_px = track.best_px * (1.0 - side * tr)
        break_even = entry * ((1 + TAKER_FEE) / (1 - TAKER_FEE)) ** side
        if params.trail_only_profit and (trail_px - break_even) * side < 0:
            trail_px = break_even
    fired_sl = (mark_px - stop_px) * side <= 0
    fired_tr = trail_px is not None and (mark_px - trail_px) * side <= 0
    fired_tp = (mark_px - tp_px) * side >= 0
    notional = abs(pos.size) * mark_px
    concentration = notional / equity_usd if equity_usd > 0 else math.inf
    protective = stop_px if trail_px is None else (max(stop_px, trail_px) if side > 0 else min(stop_px, trail_px))
    row = PositionRisk(
        coin=pos.coin, side="long" if side > 0 else "short", size=pos.size, entry_px=entry, mark_px=mark_px,
        unrealized_pnl_usd=(mark_px - entry) * pos.size, notional_usd=notional, concentration=concentration,
        stop_px=stop_px, trail_px=trail_px, take_profit_px=tp_px, dist_stop=_dist(mark_px, stop_px, side),
        dist_trail=_dist(mark_px, trail_px, side), dist_take_profit=(tp_px - mark_px) * side / mark_px,
        held_hours=held_days * 24.0, concentration_breached=concentration > params.concentration_limit,
        exit_vote=policy.exit_vote_passes(params.w_sl, params.w_trail, params.w_tp, fired_sl, fired_tr, fired_tp),
        time_exit_due=held_days >= params.max_hold_days, stop_distance=sl, trail_distance=tr,
        take_profit_distance=tp)
    return row, protective
