"""The pure monitor step: (genome, account, mids, indicators, previous state, now) -> snapshot,
new state, proposed actions. No clock, no I/O, so the same inputs always give the same decision.
A price gap beyond gaps.GAP_CONFIRM_PCT on a held coin is shown but decided on only after the
next poll confirms it.

Breaker, stop levels and sizing come from core.policy (the backtest's code); this module only
gathers inputs, checks they are trustworthy, and turns policy decisions into exact orders.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

from core import policy
from core.exchange.models import AccountState, AssetContext
from core.genome import RiskParams
from core.monitor import proposals
from core.monitor.freshness import STALE_AFTER_INTERVALS, feed_problem, next_feed_state
from core.monitor.gaps import GapCheck, accepted_px, check_gaps, gap_notes
from core.monitor.indicators import CoinIndicators
from core.monitor.levels import TAKER_FEE, ExitSchedule, position_risk
from core.monitor.orders import ProposedAction
from core.monitor.perp import account_risk, clamp_protective, with_perp_risk
from core.monitor.snapshot import PositionRisk, RiskSnapshot
from core.monitor.state import MonitorState, Track
from core.monitor.tracks import follow_positions
from core.operator_settings import PerpRiskSettings
from core.vocabulary import BreakerState


@dataclass(frozen=True)
class Context:
    params: RiskParams
    genome_label: str
    network: str
    poll_interval_s: float
    perp: PerpRiskSettings = PerpRiskSettings()  # WATCH level and the liquidation buffer of stops
    standing_exits: bool = False  # standing orders protect positions: no TIGHTENED-only protective stops
    confirm_gaps: bool = True  # hold decisions on a price gap until the next poll (off only in replay)
    entry_slippage: float = 0.0  # stop reference = entry price before this slippage (replay: the kernel's)
    best_from_marks: bool = True  # False (replay): the trail's best price from completed bars only, as the kernel
    fee_per_side: float = TAKER_FEE  # the break-even floor of trail_only_profit (replay: the kernel's fee)


@dataclass(frozen=True)
class MarketInputs:
    account: AccountState
    mids: Mapping[str, float]
    indicators: Mapping[str, CoinIndicators]
    corr_coins: tuple[str, ...] = ()
    corr_matrix: np.ndarray | None = None
    sz_decimals: Mapping[str, int] = field(default_factory=dict)  # venue size decimals per coin
    asset_ctxs: Mapping[str, AssetContext] = field(default_factory=dict)  # funding rates (metaAndAssetCtxs)
    opened_ms: Mapping[str, int] = field(default_factory=dict)  # venue time of each new position's opening fill


@dataclass(frozen=True)
class BreakerTransition:
    from_state: str
    to_state: str
    drawdown_ratio: float | None
    reason: str
    time_ms: int


@dataclass(frozen=True)
class Evaluation:
    snapshot: RiskSnapshot
    state: MonitorState
    proposals: tuple[ProposedAction, ...]
    transition: BreakerTransition | None
    gaps: GapCheck = field(default_factory=GapCheck)  # price gaps seen, confirmed or reverted this cycle (for the log)
    schedules: Mapping[str, ExitSchedule] = field(default_factory=dict)  # per held coin, for the standing orders


def _finite_positive(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def price_problem(market: MarketInputs) -> str | None:
    """Why these numbers cannot be trusted (NaN, <= 0, a held coin without a mid), or None."""
    acct = market.account
    if not (isinstance(acct.equity_usd, (int, float)) and math.isfinite(acct.equity_usd)):
        return f"equity is not a finite number ({acct.equity_usd!r})"
    if acct.equity_usd <= 0 and acct.positions:
        return f"equity {acct.equity_usd!r} <= 0 with open positions"
    for pos in acct.positions:
        mid = market.mids.get(pos.coin)
        if mid is None:
            return f"no mid price for held {pos.coin}"
        if not _finite_positive(mid):
            return f"bad mid price for {pos.coin}: {mid!r}"
        if not (_finite_positive(pos.entry_px) and math.isfinite(pos.size) and pos.size != 0):
            return f"bad position fields for {pos.coin}"
    return None


def _correlation(market: MarketInputs, rows: list[PositionRisk]) -> tuple[tuple, tuple, float | None]:
    notional = {r.coin: math.copysign(abs(r.notional_usd), r.size) for r in rows}  # signed: shorts hedge longs
    coins = tuple(c for c in market.corr_coins if c in notional)
    if market.corr_matrix is None or len(coins) < 2:
        return coins, tuple((1.0,) for _ in coins), None
    index = [market.corr_coins.index(c) for c in coins]
    sub = market.corr_matrix[np.ix_(index, index)]
    flat = [float(x) for x in sub.ravel()]
    weighted = policy.weighted_correlation(len(coins), [notional[c] for c in coins], flat)
    matrix = tuple(tuple(None if math.isnan(x) else float(x) for x in row) for row in sub)
    return coins, matrix, weighted


@dataclass(frozen=True)
class _BreakerStep:
    """This cycle's drawdown and the breaker state it decides."""

    hwm_usd: float
    drawdown: float
    ratio: float  # drawdown / the genome's max drawdown
    decided: int  # the breaker before this cycle (an older row's STALE read as the NORMAL behind it)
    state: int  # the breaker after this cycle (`decided` while a price gap awaits confirmation)
    reason: str


@dataclass(frozen=True)
class _Proposed:
    actions: list[ProposedAction]
    reduce_done: bool
    exit_proposed: bool
    tracks: dict[str, Track]


def evaluate(ctx: Context, market: MarketInputs, state: MonitorState, now_ms: int,
             previous: RiskSnapshot | None = None) -> Evaluation:
    """One cycle on good-looking data; falls back to `stale` (showing `previous`'s numbers) when
    prices or the feed are bad, and decides nothing while a price gap awaits confirmation."""
    problem = price_problem(market) or feed_problem(market.account, market.mids, state, now_ms, ctx.poll_interval_s)
    if problem:
        return stale(ctx, problem, state, previous, now_ms)
    acct = market.account
    held_coins = tuple(pos.coin for pos in acct.positions)
    gap = check_gaps(state, market.mids, held_coins, now_ms) if ctx.confirm_gaps else GapCheck()
    believed = accepted_px(gap, market.mids, held_coins)
    equity = float(acct.equity_usd)
    step = _breaker_step(ctx.params, state, equity, gap.holding)
    tracks = follow_positions(state.tracks, acct, believed, market.indicators, market.opened_ms, ctx.entry_slippage,
                     ctx.best_from_marks)
    rows, schedules = _position_rows(ctx, market, equity, tracks, step.state)
    since_ms, why, transition = _breaker_since(state, step, now_ms)
    if gap.holding:
        proposed = _Proposed([], state.reduce_done, state.exit_proposed, tracks)
    else:
        proposed = _propose(ctx, market, state, step, schedules, tracks)
    feed = next_feed_state(state, acct, market.mids, now_ms)
    new = replace(feed, hwm_usd=step.hwm_usd, breaker_state=step.state, breaker_since_ms=since_ms,
                  breaker_reason=why, reduce_done=proposed.reduce_done, exit_proposed=proposed.exit_proposed,
                  last_ok_poll_ms=now_ms, tracks=proposed.tracks, last_px=believed, price_gaps=gap.held,
                  stale_since_ms=None, stale_reason="")
    if not gap.holding:  # the history plot shows confirmed drawdowns only
        new = new.with_history(step.ratio)
    snap = _snapshot(ctx, market, now_ms, step, new, rows, gap)
    return Evaluation(snap, new, tuple(proposed.actions), transition, gap, schedules)


def _breaker_step(params: RiskParams, state: MonitorState, equity: float, gap_holding: bool) -> _BreakerStep:
    # An unconfirmed gap must not raise the peak: a bad tick up would turn into a drawdown later.
    hwm = (state.hwm_usd or equity) if gap_holding else max(state.hwm_usd or equity, equity)
    dd = policy.drawdown_fraction(equity, hwm)
    ratio = dd / params.max_drawdown_pct
    # Older state rows stored STALE as the breaker itself; the breaker behind it was NORMAL then.
    decided = policy.NORMAL if state.breaker_state == policy.STALE else state.breaker_state
    new_state = decided if gap_holding else policy.breaker_next_state(decided, ratio)
    return _BreakerStep(hwm, dd, ratio, decided, new_state,
                        f"drawdown {dd:.2%} is {ratio:.2f} x max {params.max_drawdown_pct:.2%}")


def _breaker_since(state: MonitorState, step: _BreakerStep, now_ms: int
                   ) -> tuple[int | None, str, BreakerTransition | None]:
    """The breaker's "since" and reason after this cycle, and the transition to log (None: none)."""
    changed = step.state != state.breaker_state  # a decided change (or an older row's STALE): a new "since"
    since_ms, why = (now_ms, step.reason) if changed else (state.breaker_since_ms, state.breaker_reason)
    if not (changed or state.is_stale):
        return since_ms, why, None
    # Fresh data after STALE is an event, but the breaker's "since" survives the flap.
    from_name = BreakerState.STALE.name if state.is_stale else state.breaker_name
    reason = step.reason if step.state != step.decided or not state.is_stale else f"data fresh again; {step.reason}"
    return since_ms, why, BreakerTransition(from_name, policy.BREAKER_NAMES[step.state], step.ratio, reason, now_ms)


def _position_rows(ctx: Context, market: MarketInputs, equity: float, tracks: dict[str, Track], breaker_state: int
                   ) -> tuple[list[PositionRisk], dict[str, ExitSchedule]]:
    """Each held coin's risk row and exit schedule, its stops clamped inside the liquidation price."""
    acct, rows, schedules = market.account, [], {}
    for pos in acct.positions:
        row, sched = position_risk(ctx.params, pos, market.mids[pos.coin], equity,
                                   market.indicators.get(pos.coin, CoinIndicators()), tracks[pos.coin], acct.time_ms,
                                   policy.stops_tightened(breaker_state), ctx.entry_slippage, ctx.fee_per_side)
        row = with_perp_risk(row, pos, market.asset_ctxs.get(pos.coin))
        if sched.adverse_px is not None:  # every resting or protective stop sits inside the liquidation price
            row, clamped_px = clamp_protective(row, sched.adverse_px, ctx.perp.liquidation_buffer_fraction)
            if clamped_px != sched.adverse_px:
                sched = replace(sched, adverse_px=clamped_px)
        rows.append(row)
        schedules[pos.coin] = sched
    return rows, schedules


def _propose(ctx: Context, market: MarketInputs, state: MonitorState, step: _BreakerStep,
             schedules: dict[str, ExitSchedule], tracks: dict[str, Track]) -> _Proposed:
    """The breaker's reductions, the protective stops, time exits and (with standing exits) small take-profits."""
    positions, mids, sz_decimals = market.account.positions, market.mids, market.sz_decimals
    acts, reduce_done, exit_proposed = proposals.breaker_actions(step.state, state, positions, mids, sz_decimals,
                                                                 step.reason)
    # with standing exits on, the TIGHTENED-only stops are withdrawn (NORMAL cancels them all)
    stop_state = policy.NORMAL if ctx.standing_exits else step.state
    acts += proposals.stop_actions(stop_state, state, positions, schedules, sz_decimals)
    time_acts, tracks = proposals.time_exit_actions(positions, schedules, tracks, mids, sz_decimals)
    acts += time_acts
    if ctx.standing_exits:  # without standing exits no level rests, small or not
        tp_acts, tracks = proposals.small_take_profit_actions(positions, schedules, tracks, mids, sz_decimals)
        acts += tp_acts
    return _Proposed(acts, reduce_done, exit_proposed, tracks)


def _snapshot(ctx: Context, market: MarketInputs, now_ms: int, step: _BreakerStep, new: MonitorState,
              rows: list[PositionRisk], gap: GapCheck) -> RiskSnapshot:
    p, acct = ctx.params, market.account
    coins, matrix, weighted = _correlation(market, rows)
    return RiskSnapshot(
        time_ms=now_ms, network=ctx.network, equity_usd=float(acct.equity_usd), hwm_usd=step.hwm_usd,
        drawdown=step.drawdown, drawdown_ratio=step.ratio, max_drawdown_pct=p.max_drawdown_pct,
        breaker_state=policy.BREAKER_NAMES[step.state], breaker_since_ms=new.breaker_since_ms,
        breaker_reason=new.breaker_reason, positions=tuple(rows), correlation_coins=coins,
        correlation_matrix=matrix, weighted_correlation=weighted, correlation_limit=p.correlation_limit,
        concentration_limit=p.concentration_limit, last_ok_poll_ms=now_ms, data_error=None,
        genome_label=ctx.genome_label, drawdown_history=new.drawdown_history,
        correlation_breached=weighted is not None and weighted > p.correlation_limit,
        new_risk_allowed=policy.allows_new_risk(step.state) and not gap.holding,
        protective_stops=tuple(s.view() for s in new.stops.values()), price_gap=gap_notes(gap),
        watch=policy.watch_level(step.ratio, ctx.perp.watch_fraction), watch_fraction=ctx.perp.watch_fraction,
        **vars(account_risk(acct, sum(r.notional_usd for r in rows))))


def unanswered_poll(ctx: Context, problem: str, state: MonitorState, previous: RiskSnapshot | None,
                   now_ms: int) -> Evaluation:
    """A poll that failed (or was skipped while backing off). SPEC 5: STALE only once no poll has
    succeeded for STALE_AFTER_INTERVALS intervals; until then the last good numbers stand, the
    failure is a warning on the snapshot, and nothing is decided or proposed."""
    last_ok = state.last_ok_poll_ms
    window_ms = STALE_AFTER_INTERVALS * ctx.poll_interval_s * 1000
    if state.is_stale or previous is None or last_ok is None or now_ms - last_ok >= window_ms \
            or previous.breaker_state == BreakerState.STALE.name:
        return stale(ctx, problem, state, previous, now_ms)
    snap = replace(previous, time_ms=now_ms, poll_warning=problem, genome_label=ctx.genome_label,
                   data_error=None, price_gap=())
    return Evaluation(snap, state, (), None)


def stale(ctx: Context, problem: str, state: MonitorState, previous: RiskSnapshot | None, now_ms: int) -> Evaluation:
    """STALE: no decision, no proposal, the high-water mark untouched; the last good numbers stay
    visible (flagged by the state and `data_error`) so a data gap never reads as a drawdown.
    STALE overlays the breaker: its state and "since" are kept for when the data is fresh again."""
    transition = None
    stale_since = state.stale_since_ms
    if stale_since is None:
        legacy = state.breaker_state == policy.STALE  # an older row: STALE was the breaker state
        stale_since = state.breaker_since_ms if legacy else now_ms
        if not legacy:
            transition = BreakerTransition(state.breaker_name, BreakerState.STALE.name, None, problem, now_ms)
    new = replace(state, stale_since_ms=stale_since, stale_reason=problem)
    since_ms, why = stale_since, problem
    p = ctx.params
    base = previous
    snap = RiskSnapshot(
        time_ms=now_ms, network=ctx.network, equity_usd=base.equity_usd if base else None,
        hwm_usd=state.hwm_usd, drawdown=base.drawdown if base else None,
        drawdown_ratio=base.drawdown_ratio if base else None, max_drawdown_pct=p.max_drawdown_pct,
        breaker_state=BreakerState.STALE.name, breaker_since_ms=since_ms, breaker_reason=why,
        positions=base.positions if base else (), correlation_coins=base.correlation_coins if base else (),
        correlation_matrix=base.correlation_matrix if base else (),
        weighted_correlation=base.weighted_correlation if base else None, correlation_limit=p.correlation_limit,
        concentration_limit=p.concentration_limit, last_ok_poll_ms=state.last_ok_poll_ms, data_error=problem,
        genome_label=ctx.genome_label, drawdown_history=state.drawdown_history, new_risk_allowed=False,
        protective_stops=tuple(s.view() for s in state.stops.values()), watch_fraction=ctx.perp.watch_fraction,
        **({k: getattr(base, k) for k in ACCOUNT_RISK_FIELDS} if base else {}))
    return Evaluation(snap, new, (), transition)


ACCOUNT_RISK_FIELDS = ("margin_used_usd", "margin_ratio", "account_leverage", "total_notional_usd",
                       "maintenance_margin_usd", "withdrawable_usd")  # the last good numbers stay shown while STALE
