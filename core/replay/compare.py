"""Replay parity (SPEC 10): the kernel's exit events against the trades booked on the paper
exchange by the real monitor, on the same bars. Pure: both sides arrive as plain records.

An event matches when coin, entry bar, exit bar and exit kind agree; every kernel event without
a match and every booked event the kernel did not make is a mismatch with its reason.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

EXIT_PX_TOLERANCE = 1e-3  # a matched exit whose price differs more than this is explained too
# A resting stop or take-profit is moved only when the schedule moved more than
# core.monitor.standing.MOVE_TOLERANCE (0.2 %, the venue's rate limits); with price rounding its fill
# can sit this far from the kernel's.
STOP_LAG_EXPLAINED = 0.0025
BREAKER_KINDS = ("breaker_reduce", "breaker_exit")
RESTING_KINDS = ("stop", "trail", "take_profit")  # exits filled by a resting trigger order


def _price_reason(k: ExitEvent, b: ExitEvent, diff: float) -> str:
    if k.kind in RESTING_KINDS and diff <= STOP_LAG_EXPLAINED:
        order = "take-profit" if k.kind == "take_profit" else "stop"
        return (f"exit price differs by {diff:.3%}: the resting {order} was within the 0.2 % move tolerance of "
                "the schedule's level and was not moved (to spare the venue's rate limit)")
    return f"exit price differs by {diff:.3%}: " + (b.note or "venue fill price")


@dataclass(frozen=True)
class ExitEvent:
    coin: str
    side: int  # +1 long, -1 short
    entry_bar: int
    exit_bar: int
    kind: str  # core.backtest.enums.EXIT_NAMES
    px: float  # execution price (after slippage)
    units: float
    note: str = ""  # the booked side: venue facts that explain a difference (rounding, partial fill)

    @property
    def key(self) -> tuple:
        return (self.coin, self.entry_bar, self.exit_bar, self.kind)


@dataclass
class Parity:
    kernel_trades: int
    booked_trades: int
    matched_trades: int
    match_share: float
    final_equity_kernel: float
    final_equity_replay: float
    final_equity_diff_pct: float
    exit_px_diff_max_pct: float
    exit_px_diff_mean_pct: float
    breaker_state_agreement: float
    mismatches: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Equities:
    """Both equity curves, index 0 at bar `first_bar`, for explaining breaker timing."""

    kernel: list[float]
    replay: list[float]
    first_bar: int | None = None

    def at(self, bar: int) -> tuple[float, float] | None:
        if self.first_bar is None:
            return None
        i = bar - self.first_bar
        return (self.kernel[i], self.replay[i]) if 0 <= i < min(len(self.kernel), len(self.replay)) else None


def _breaker_timing(k: ExitEvent, near: ExitEvent, eq: Equities) -> str:
    """A breaker action on another bar: the drawdown crossed a threshold at a different close."""
    decided = min(k.exit_bar, near.exit_bar) - 1  # the close whose drawdown the earlier side acted on
    pair = eq.at(decided)
    if pair is None:
        return "the portfolio drawdown crossed the breaker threshold at a different close"
    ke, re = pair
    return (f"the portfolio drawdown sat on the breaker threshold at the close of bar {decided}: equity there "
            f"kernel {ke:,.2f} vs replay {re:,.2f} ({(re / ke - 1) * 100:+.4f} %): both fill on the venue's "
            "tick, but the paper exchange sizes on the venue's lot and the kernel in fractional units, and "
            "resting orders sit within the move tolerance of the schedule")


def _reason(k: ExitEvent | None, b: ExitEvent | None, booked_by_trade: dict, kernel_by_trade: dict,
            eq: Equities) -> str:
    if k is not None:
        others = booked_by_trade.get((k.coin, k.entry_bar), [])
        if not others:
            return "the replay never opened or never closed this entry (order refused or size rounded to 0?)"
        near = min(others, key=lambda e: abs(e.exit_bar - k.exit_bar))
        if near.exit_bar != k.exit_bar:
            why = near.note or (_breaker_timing(k, near, eq) if k.kind in BREAKER_KINDS and near.kind == k.kind
                                else "level or trigger within venue price rounding of the bar's extreme")
            return f"booked as {near.kind} at bar {near.exit_bar} instead of bar {k.exit_bar}: {why}"
        return f"booked as {near.kind} instead of {k.kind} on the same bar" + (f" ({near.note})" if near.note else "")
    assert b is not None
    theirs = kernel_by_trade.get((b.coin, b.entry_bar), [])
    if not theirs:
        return "booked without a kernel counterpart"
    same_kind = [k.exit_bar for k in theirs if k.kind == b.kind]
    where = f" (the kernel's {b.kind} is at bar {same_kind[0]})" if same_kind else ""
    return f"extra booked {b.kind} exit at bar {b.exit_bar}{where}" + (f" ({b.note})" if b.note else "")


def compare(kernel: list[ExitEvent], booked: list[ExitEvent], kernel_equity: list[float], replay_equity: list[float],
            kernel_states: list[str], replay_states: list[str], first_bar: int | None = None) -> Parity:
    """Match exit events by (coin, entry bar, exit bar, kind) and explain the rest. `first_bar`:
    the bar of the equity curves' first point (lets a breaker mismatch quote the equities)."""
    eq = Equities(kernel_equity, replay_equity, first_bar)
    booked_left: dict[tuple, list[ExitEvent]] = {}
    for b in booked:
        booked_left.setdefault(b.key, []).append(b)
    booked_by_trade: dict[tuple, list[ExitEvent]] = {}
    for b in booked:
        booked_by_trade.setdefault((b.coin, b.entry_bar), []).append(b)
    kernel_by_trade: dict[tuple, list[ExitEvent]] = {}
    for k in kernel:
        kernel_by_trade.setdefault((k.coin, k.entry_bar), []).append(k)
    matched, diffs, mismatches = 0, [], []
    for k in kernel:
        bucket = booked_left.get(k.key)
        if bucket:
            b = bucket.pop(0)
            matched += 1
            diff = abs(b.px / k.px - 1.0) if k.px > 0 else 0.0
            diffs.append(diff)
            if diff > EXIT_PX_TOLERANCE:
                mismatches.append({"coin": k.coin, "entry_bar": k.entry_bar, "exit_bar": k.exit_bar, "kind": k.kind,
                                   "kernel_px": k.px, "replay_px": b.px, "matched": True,
                                   "reason": _price_reason(k, b, diff)})
            continue
        mismatches.append({"coin": k.coin, "entry_bar": k.entry_bar, "exit_bar": k.exit_bar, "kind": k.kind,
                           "kernel_px": k.px, "replay_px": None, "matched": False,
                           "reason": _reason(k, None, booked_by_trade, kernel_by_trade, eq)})
    for bucket in booked_left.values():
        for b in bucket:
            mismatches.append({"coin": b.coin, "entry_bar": b.entry_bar, "exit_bar": b.exit_bar, "kind": b.kind,
                               "kernel_px": None, "replay_px": b.px, "matched": False,
                               "reason": _reason(None, b, booked_by_trade, kernel_by_trade, eq)})
    n = min(len(kernel_states), len(replay_states))
    agree = sum(1 for a, b in zip(kernel_states[:n], replay_states[:n]) if a == b) / n if n else 1.0
    fk, fr = (kernel_equity[-1] if kernel_equity else 0.0), (replay_equity[-1] if replay_equity else 0.0)
    return Parity(kernel_trades=len(kernel), booked_trades=len(booked), matched_trades=matched,
                  match_share=matched / len(kernel) if kernel else 1.0, final_equity_kernel=fk,
                  final_equity_replay=fr, final_equity_diff_pct=(fr / fk - 1.0) * 100 if fk else 0.0,
                  exit_px_diff_max_pct=max(diffs, default=0.0) * 100,
                  exit_px_diff_mean_pct=(sum(diffs) / len(diffs) * 100) if diffs else 0.0,
                  breaker_state_agreement=agree, mismatches=mismatches)
