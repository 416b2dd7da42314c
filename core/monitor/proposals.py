"""Breaker decisions -> exact orders. REDUCING halves every position once per episode and
EMERGENCY closes everything, both as operator-approved IOC closes; TIGHTENED keeps reduce-only
exchange-side stops at the tightened levels, approved automatically by the policy.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

from core import policy
from core.exchange.ticks import round_price
from core.exchange.models import Position
from core.monitor.orders import (
    SLIPPAGE_BY_ATTEMPT, STOP_MARKET_SLIPPAGE, CancelLeg, OrderLeg, ProposedAction, aggressive_px, floor_size,
    size_decimals,
)
from core.monitor.levels import ExitSchedule, TakeProfitLevel
from core.monitor.standing import resting_tp_units
from core.monitor.state import MonitorState, Track
from core.vocabulary import ActionKind

AUTO_APPROVER_TIGHTENED = "policy:tightened"
# A stop is moved when its level moved more than this fraction (avoids an order per tick).
STOP_MOVE_TOLERANCE = 0.002


def _decimals(pos: Position, sz_decimals: Mapping[str, int]) -> int:
    """The venue's size decimals; without them, the decimals the position's size shows."""
    return sz_decimals.get(pos.coin, size_decimals(pos.size))


def close_legs(positions: Sequence[Position], mids: Mapping[str, float], fraction: float,
               sz_decimals: Mapping[str, int]) -> tuple[OrderLeg, ...]:
    """One reduce-only IOC per position, opposite side, `fraction` of its size (rounded down)."""
    legs = []
    for pos in positions:
        decimals = _decimals(pos, sz_decimals)
        size = abs(pos.size) if fraction >= 1.0 else floor_size(abs(pos.size) * fraction, decimals)
        if size <= 0:
            continue
        is_buy = pos.size < 0  # a short is closed by buying
        legs.append(OrderLeg(leg=len(legs), coin=pos.coin, side="buy" if is_buy else "sell", size=size,
                             limit_px=aggressive_px(mids[pos.coin], is_buy, SLIPPAGE_BY_ATTEMPT[0], decimals)))
    return tuple(legs)


def breaker_actions(new_state: int, state: MonitorState, positions: Sequence[Position], mids: Mapping[str, float],
                    sz_decimals: Mapping[str, int], reason: str) -> tuple[list[ProposedAction], bool, bool]:
    """Proposals of this cycle plus the episode flags (reduce_done, exit_proposed) afterwards."""
    act, reduce_done, exit_proposed = policy.breaker_episode(new_state, state.reduce_done, state.exit_proposed)
    acts: list[ProposedAction] = []
    if act == policy.ACT_EXIT:
        legs = close_legs(positions, mids, 1.0, sz_decimals)
        if legs:
            acts.append(ProposedAction(ActionKind.EXIT_ALL, f"EMERGENCY: {reason}; close every position", legs))
    elif act == policy.ACT_REDUCE:
        legs = close_legs(positions, mids, policy.REDUCE_FRACTION, sz_decimals)
        if legs:
            acts.append(ProposedAction(ActionKind.REDUCE, f"REDUCING: {reason}; halve every position", legs))
    return acts, reduce_done, exit_proposed


def _stop_leg(leg: int, pos: Position, level_px: float, decimals: int) -> OrderLeg:
    is_buy = pos.size < 0
    trigger = round_price(level_px, decimals)
    worst = round_price(trigger * (1.0 + STOP_MARKET_SLIPPAGE if is_buy else 1.0 - STOP_MARKET_SLIPPAGE), decimals)
    return OrderLeg(leg=leg, coin=pos.coin, side="buy" if is_buy else "sell", size=abs(pos.size), limit_px=worst,
                    tif="Gtc", trigger_px=trigger)


def stop_actions(new_state: int, state: MonitorState, positions: Sequence[Position],
                 schedules: Mapping[str, ExitSchedule], sz_decimals: Mapping[str, int]) -> list[ProposedAction]:
    """TIGHTENED and above: place or move stops (also when the breaker jumped past TIGHTENED);
    back in NORMAL: cancel them. STALE never gets here."""
    held = {p.coin: p for p in positions}
    cancels = [CancelLeg(s.coin, s.cloid) for coin, s in state.stops.items() if coin not in held]
    legs: list[OrderLeg] = []
    if policy.stops_tightened(new_state):
        for coin, pos in held.items():
            level = schedules[coin].adverse_px
            if level is None:
                continue  # the genome's vote never passes on an adverse move: no stop to rest
            wanted = _stop_leg(len(legs), pos, level, _decimals(pos, sz_decimals))
            placed = state.stops.get(coin)
            if placed is not None and placed.size == wanted.size and placed.is_buy == wanted.is_buy \
                    and abs(placed.trigger_px - wanted.trigger_px) <= STOP_MOVE_TOLERANCE * placed.trigger_px:
                continue
            if placed is not None:
                cancels.append(CancelLeg(coin, placed.cloid))
            legs.append(wanted)
        why = f"{policy.BREAKER_NAMES[new_state]}: reduce-only stops at the genome's levels x 0.8"
    elif new_state == policy.NORMAL:
        cancels = [CancelLeg(s.coin, s.cloid) for s in state.stops.values()]
        why = "back to NORMAL: protective stops withdrawn"
    else:
        why = "positions closed: their protective stops withdrawn"
    if not legs and not cancels:
        return []
    return [ProposedAction(ActionKind.PROTECTIVE_STOPS, why, tuple(legs), tuple(cancels), AUTO_APPROVER_TIGHTENED)]


def time_exit_actions(positions: Sequence[Position], schedules: Mapping[str, ExitSchedule],
                      tracks: Mapping[str, Track], mids: Mapping[str, float], sz_decimals: Mapping[str, int]
                      ) -> tuple[list[ProposedAction], dict[str, Track]]:
    """A due time exit (gene 11) cannot rest as a trigger order: it becomes one operator-approved
    close per position, proposed once per position (the track remembers it)."""
    acts, out = [], dict(tracks)
    for pos in positions:
        sched, track = schedules.get(pos.coin), tracks.get(pos.coin)
        if sched is None or track is None or not sched.time_exit_due or track.time_exit_proposed:
            continue
        legs = close_legs([pos], mids, 1.0, sz_decimals)
        if legs:
            acts.append(ProposedAction(ActionKind.TIME_EXIT, f"time exit due: {pos.coin} held past max_hold_days; close it",
                                       legs))
        out[pos.coin] = Track(track.side, track.first_seen_ms, track.best_px, track.tp_done, True)
    return acts, out


def _reached(level: TakeProfitLevel, side: int, mark_px: float, best_px: float) -> bool:
    """The price touched the level: the mark now, or the best price since entry (bar extremes)."""
    return (max(mark_px, best_px) if side > 0 else min(mark_px, best_px)) * side >= level.px * side


def small_take_profit_actions(positions: Sequence[Position], schedules: Mapping[str, ExitSchedule],
                              tracks: Mapping[str, Track], mids: Mapping[str, float],
                              sz_decimals: Mapping[str, int]) -> tuple[list[ProposedAction], dict[str, Track]]:
    """Take-profit scale-outs smaller than one size lot cannot rest as trigger orders
    (core.monitor.standing.resting_tp_units); once the price reached such levels they become one
    operator-approved reduce-only close: their units together rounded to the nearest lot, at
    least one lot (the smallest exit the venue takes), at most the position. The track then
    counts those levels as taken, so each is proposed once and a rejected one is not repeated."""
    acts, out = [], dict(tracks)
    for pos in positions:
        sched, track = schedules.get(pos.coin), out.get(pos.coin)
        if sched is None or track is None:
            continue
        side, decimals = (1 if pos.size > 0 else -1), _decimals(pos, sz_decimals)
        due = [tp for tp in sched.take_profits if _reached(tp, side, mids[pos.coin], track.best_px)
               and resting_tp_units(tp.size, pos.size, decimals) <= 0]
        if not due:
            continue
        lot = 10.0 ** -decimals
        units = min(abs(pos.size), max(lot, round(sum(tp.size for tp in due), decimals)))
        is_buy = pos.size < 0
        leg = OrderLeg(leg=0, coin=pos.coin, side="buy" if is_buy else "sell", size=units,
                       limit_px=aggressive_px(mids[pos.coin], is_buy, SLIPPAGE_BY_ATTEMPT[0], decimals))
        levels = ("levels " if len(due) > 1 else "level ") + ", ".join(str(tp.level) for tp in due)
        acts.append(ProposedAction(
            ActionKind.TAKE_PROFIT, f"take-profit {levels} of {pos.coin} reached: scale-out of "
            f"{sum(tp.size for tp in due):g} under one size lot ({lot:g}) cannot rest as an order; "
            f"close {units:g}", (leg,)))
        out[pos.coin] = replace(track, tp_done=max(track.tp_done, max(tp.level for tp in due)))
    return acts, out
