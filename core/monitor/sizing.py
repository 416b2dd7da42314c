"""Risk-adjusted sizing of a new position with the active genome (SPEC 5, "sizing helper").

One pure function of (genome, account, candidate, correlation, breaker state): no clock, no I/O,
so the console can call it from a worker thread and tests can call it with plain values. It
applies the backtest kernel's own rules (core.policy), in the kernel's way:

- breaker: `allows_new_risk` (no new risk from REDUCING upward, nor while STALE);
- concentration: the position may reach `position_target_fraction(n holdings, concentration_limit)`
  of equity, counting what is already held in the coin;
- correlation: `weighted_correlation` of the book with the candidate at that target notional must
  not exceed `correlation_limit`. Like the kernel, the gate looks at the target size, not the
  requested one, so asking for a little less cannot slip a correlated position past it.

- liquidation: the coin's whole position after the trade must have its (cross) liquidation price
  beyond the genome's stop, with the buffer the monitor's stop clamp keeps; otherwise the size is
  cut to the largest that keeps it so (a stop the venue's liquidation would beat protects nothing).

Closing part of an opposite position is never limited: it lowers risk.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from core import policy
from core.errors import BadInputError
from core.exchange.models import AccountState
from core.genome import RiskParams
from core.monitor.state import MonitorState

SIDES = ("long", "short")
LIQUIDATION_SEARCH_STEPS = 60  # bisection steps for the largest size whose liquidation stays beyond the stop


@dataclass(frozen=True)
class LiquidationInputs:
    """What the liquidation check needs beyond the account: the coin's max leverage (meta), the
    maintenance margin of every other position, the genome's stop distance (fraction of price)
    and the clamp's buffer."""

    max_leverage: float
    other_maintenance_usd: float
    stop_distance: float
    buffer_fraction: float = policy.LIQUIDATION_BUFFER_FRACTION


def liquidation_fits(units_after: float, sign: float, mark_px: float, equity_usd: float,
                     liq: LiquidationInputs) -> bool:
    """True when a position of `units_after` (unsigned) on `sign`'s side keeps its liquidation
    price beyond the genome's stop, buffer included (the stop would not need the clamp)."""
    if units_after <= 0:
        return True
    liq_px = policy.cross_liquidation_px(mark_px, sign * units_after, equity_usd, liq.other_maintenance_usd,
                                         liq.max_leverage)
    stop_px = mark_px * (1.0 - sign * liq.stop_distance)
    return policy.stop_inside_liquidation(stop_px, mark_px, liq_px, int(sign), liq.buffer_fraction) == stop_px \
        and not (liq_px is not None and (mark_px - liq_px) * sign <= 0)


def _largest_fitting(opening: float, held_units: float, sign: float, mark_px: float, equity_usd: float,
                     liq: LiquidationInputs) -> float:
    lo, hi = 0.0, opening
    if not liquidation_fits(held_units, sign, mark_px, equity_usd, liq):
        return 0.0
    for _ in range(LIQUIDATION_SEARCH_STEPS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if liquidation_fits(held_units + mid, sign, mark_px, equity_usd, liq) else (lo, mid)
    return lo


@dataclass(frozen=True)
class SizingDecision:
    coin: str
    side: str
    requested_size: float
    allowed_size: float  # units of the coin, never above requested_size
    mark_px: float
    equity_usd: float
    breaker_state: str
    existing_size: float  # signed position already held in the coin
    concentration_cap_usd: float  # the most the coin's position may be worth
    weighted_correlation: float | None  # of the book with the candidate at its target notional
    correlation_limit: float
    limiting_factors: tuple[str, ...]  # one line per rule that cut the size; empty: nothing did
    checks: tuple[str, ...]  # one line per rule, passing or not, with its numbers

    @property
    def requested_notional_usd(self) -> float:
        return self.requested_size * self.mark_px

    @property
    def allowed_notional_usd(self) -> float:
        return self.allowed_size * self.mark_px

    def to_dict(self) -> dict:
        return dict(asdict(self), requested_notional_usd=self.requested_notional_usd,
                    allowed_notional_usd=self.allowed_notional_usd)


def effective_breaker_state(state: MonitorState | None, equity_usd: float, params: RiskParams) -> tuple[int, str]:
    """The breaker state sizing must respect, with the reason in words.

    The persisted monitor state is the authority; when the current equity already calls for a
    stricter state than the monitor last saw (it may not be running), the stricter one applies.
    Sizing never steps the breaker down: that is the monitor's (or an operator's) decision.
    """
    if state is None:
        return policy.NORMAL, "no monitor state yet: NORMAL assumed"
    if state.is_stale:
        return policy.STALE, f"monitor state STALE ({state.stale_reason or state.breaker_reason})"
    persisted = state.breaker_state
    if state.hwm_usd and math.isfinite(equity_usd):
        ratio = policy.drawdown_fraction(equity_usd, state.hwm_usd) / params.max_drawdown_pct
        now = policy.breaker_next_state(persisted, ratio)
        if now > persisted:
            return now, (f"equity ${equity_usd:,.2f} is {ratio:.2f} x max drawdown below the high-water mark "
                         f"${state.hwm_usd:,.2f} (monitor last saw {policy.BREAKER_NAMES[persisted]})")
    return persisted, f"monitor state {policy.BREAKER_NAMES[persisted]} ({state.breaker_reason})"


def _book_correlation(account: AccountState, coin: str, target_usd: float, corr_coins: Sequence[str],
                      corr_matrix: np.ndarray | None, sign: float = 1.0) -> tuple[float | None, tuple[str, ...]]:
    """policy.weighted_correlation of the other holdings plus the candidate (None: unknown),
    weighted by signed notional: a short candidate against correlated longs is a hedge."""
    others = [p for p in account.positions if p.coin != coin]
    names = tuple(p.coin for p in others)
    if not others:
        return 0.0, names
    if corr_matrix is None:
        return None, names
    book = [*names, coin]
    weights = [math.copysign(abs(p.notional_usd), p.size) for p in others] + [sign * target_usd]
    index = {c: i for i, c in enumerate(corr_coins)}
    flat = [float(corr_matrix[index[a], index[b]]) if a in index and b in index else math.nan
            for a in book for b in book]
    return policy.weighted_correlation(len(book), weights, flat), names


@dataclass(frozen=True)
class _Request:
    """A requested trade split the way the rules see it: the part that closes an opposite position
    (lowers risk, never limited) and the part that opens new risk on `side`."""

    sign: float  # +1 long, -1 short
    existing: float  # signed position already held in the coin
    closing: float  # units that close the opposite position first
    opening: float  # units of new risk
    same_side_units: float  # unsigned units already held on `side`


@dataclass
class _Verdict:
    """The rules' findings so far: every rule adds a check line; one that cuts the opening part also
    adds its line to the limiting factors (only when there is something to cut)."""

    opening: float
    allowed_opening: float
    factors: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def passes(self, line: str) -> None:
        self.checks.append(line)

    def limits(self, line: str, room_units: float) -> None:
        self.checks.append(line)
        if self.opening > 0:
            self.factors.append(line)
        self.allowed_opening = min(self.allowed_opening, room_units)


def size_new_position(params: RiskParams, account: AccountState, coin: str, side: str, requested_size: float,
                      mark_px: float, breaker_state: int, corr_coins: Sequence[str] = (),
                      corr_matrix: np.ndarray | None = None, liquidation: LiquidationInputs | None = None
                      ) -> SizingDecision:
    """The size (units of `coin`) the genome allows for a new `side` position of `requested_size`.

    `corr_coins` labels the rows of `corr_matrix` (1h returns over 7 days, like the monitor);
    `breaker_state` is a core.policy state (see effective_breaker_state); without `liquidation`
    the liquidation check is skipped (and says so).
    """
    _check_request(coin, side, requested_size, mark_px)
    request = _split_request(account, coin, side, requested_size)
    equity = float(account.equity_usd)
    target_fraction = policy.position_target_fraction(len({p.coin for p in account.positions} | {coin}),
                                                      params.concentration_limit)
    cap_usd = max(equity, 0.0) * target_fraction
    weighted, others = _book_correlation(account, coin, cap_usd, corr_coins, corr_matrix, request.sign)

    verdict = _Verdict(opening=request.opening, allowed_opening=request.opening)
    _apply_breaker(verdict, breaker_state)
    _apply_concentration(verdict, request, coin, mark_px, equity, target_fraction, cap_usd)
    _apply_correlation(verdict, coin, cap_usd, weighted, others, params.correlation_limit)
    _apply_liquidation(verdict, liquidation, request, coin, mark_px, equity)
    if request.closing:
        verdict.passes(f"closing: {request.closing:.6g} of the {requested_size:g} first close the "
                       f"{abs(request.existing):g} {'short' if request.existing < 0 else 'long'} already held, "
                       f"which lowers risk: always allowed")

    return SizingDecision(
        coin=coin, side=side, requested_size=requested_size,
        allowed_size=request.closing + max(verdict.allowed_opening, 0.0),
        mark_px=mark_px, equity_usd=equity, breaker_state=policy.BREAKER_NAMES[breaker_state],
        existing_size=request.existing, concentration_cap_usd=cap_usd, weighted_correlation=weighted,
        correlation_limit=params.correlation_limit, limiting_factors=tuple(verdict.factors),
        checks=tuple(verdict.checks))


def _check_request(coin: str, side: str, requested_size: float, mark_px: float) -> None:
    if side not in SIDES:
        raise BadInputError(f"side must be long or short, got {side!r}")
    if not (math.isfinite(requested_size) and requested_size > 0):
        raise BadInputError(f"size must be a positive number, got {requested_size!r}")
    if not (math.isfinite(mark_px) and mark_px > 0):
        raise BadInputError(f"no usable price for {coin}: {mark_px!r}")


def _split_request(account: AccountState, coin: str, side: str, requested_size: float) -> _Request:
    sign = 1.0 if side == "long" else -1.0
    held = account.position(coin)
    existing = held.size if held else 0.0
    closing = min(requested_size, abs(existing)) if existing * sign < 0 else 0.0
    return _Request(sign=sign, existing=existing, closing=closing, opening=requested_size - closing,
                    same_side_units=abs(existing) if existing * sign > 0 else 0.0)


def _apply_breaker(verdict: _Verdict, breaker_state: int) -> None:
    """No new risk from REDUCING upward, nor while STALE."""
    state_name = policy.BREAKER_NAMES[breaker_state]
    if policy.allows_new_risk(breaker_state):
        verdict.passes(f"breaker {state_name}: new risk allowed")
    elif breaker_state == policy.STALE:
        verdict.limits("breaker STALE: the monitor has no trustworthy data, so no new risk", 0.0)
    else:
        verdict.limits(f"breaker {state_name}: no new risk while the breaker is REDUCING or worse", 0.0)


def _apply_concentration(verdict: _Verdict, request: _Request, coin: str, mark_px: float, equity: float,
                         target_fraction: float, cap_usd: float) -> None:
    """The coin's whole position may reach its target fraction of equity, what is held included."""
    room_units = max(0.0, cap_usd / mark_px - request.same_side_units)
    held_text = f", {request.same_side_units:g} already held" if request.same_side_units else ""
    cap_text = (f"{coin} may be {target_fraction:.1%} of equity ${equity:,.2f} = ${cap_usd:,.2f} "
                f"= {cap_usd / mark_px:.6g} {coin}{held_text}")
    if request.opening > room_units:
        verdict.limits(f"concentration: {cap_text}, leaving room for {room_units:.6g}", room_units)
    else:
        verdict.passes(f"concentration: {cap_text}; {request.opening:.6g} fits")


def _apply_correlation(verdict: _Verdict, coin: str, cap_usd: float, weighted: float | None,
                       others: tuple[str, ...], limit: float) -> None:
    """The book's weighted correlation with the candidate at its target notional stays within the limit."""
    with_text = ", ".join(others)
    if weighted is None:
        verdict.passes(f"correlation: unknown (no 1h candles for {with_text} and {coin}): not checked")
    elif not others:
        verdict.passes("correlation: no other holdings, nothing to correlate with")
    elif weighted > limit:
        verdict.limits(f"correlation: with {with_text}, {coin} at its target ${cap_usd:,.2f} lifts the "
                       f"notional-weighted correlation to {weighted:.2f} > limit {limit:.2f}", 0.0)
    else:
        verdict.passes(f"correlation: with {with_text} weighted {weighted:.2f} <= limit {limit:.2f}")


def _apply_liquidation(verdict: _Verdict, liq: LiquidationInputs | None, request: _Request, coin: str,
                       mark_px: float, equity: float) -> None:
    """The coin's whole position after the trade liquidates beyond the genome's stop; otherwise the
    opening part is cut to the largest that does."""
    if liq is None:
        verdict.passes("liquidation: not checked (no max leverage for the coin)")
        return
    sign, units = request.sign, request.same_side_units + request.opening
    liq_px = policy.cross_liquidation_px(mark_px, sign * units, equity, liq.other_maintenance_usd, liq.max_leverage)
    stop_px = mark_px * (1.0 - sign * liq.stop_distance)
    where = "none" if liq_px is None else f"{liq_px:.6g} ({abs(mark_px - liq_px) / mark_px:.1%} away)"
    if liquidation_fits(units, sign, mark_px, equity, liq):
        verdict.passes(f"liquidation: {units:.6g} {coin} liquidates at {where}, beyond the genome's stop "
                       f"{stop_px:.6g} ({liq.stop_distance:.1%})")
        return
    room_units = _largest_fitting(request.opening, request.same_side_units, sign, mark_px, equity, liq) \
        if request.opening > 0 else 0.0
    verdict.limits(f"liquidation: {units:.6g} {coin} would liquidate at {where}, inside the genome's stop "
                   f"{stop_px:.6g} ({liq.stop_distance:.1%}, buffer {liq.buffer_fraction:.0%} of the distance)",
                   room_units)
