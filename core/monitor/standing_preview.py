"""What a promotion approves (SPEC 5): the standing orders the genome will rest, in words.

Promoting a genome is the operator's approval of its standing exits, so the promotion modal and
`evorisk promote` list them before anyone confirms: per open position (from the last good
snapshot) the stop-market and take-profit triggers of its exit schedule, at entry-time levels
without the live indicators (the monitor scales them with volatility and regime when it runs).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from core import policy
from core.genome import RiskParams
from core.monitor.indicators import CoinIndicators
from core.monitor.levels import exit_schedule, n_tp_levels


def rule_summary(p: RiskParams) -> str:
    """The genome's standing exits as one sentence."""
    kinds = []
    if policy.VOTE_THRESHOLD < p.w_sl:
        kinds.append(f"stop-loss {p.stop_loss_pct:.1%}")
    if policy.VOTE_THRESHOLD < p.w_trail:
        kinds.append(f"trailing {p.trail_pct:.1%} after +{p.trail_activation_pct:.1%}")
    if not kinds and p.w_sl + p.w_trail > policy.VOTE_THRESHOLD:
        kinds.append("the farther of stop-loss and trail (only their sum passes the vote)")
    stop = ("one reduce-only stop-market at " + " / ".join(kinds)) if kinds else "no stop (no adverse kind passes the vote)"
    n = n_tp_levels(p)
    tp = (f"{n} take-profit trigger(s) of 1/{n} each up to {p.take_profit_pct:.1%}"
          if policy.take_profit_passes(p.w_tp) else "no take-profit (its weight cannot pass the vote)")
    return f"{stop}; {tp}; time exit after {p.max_hold_days} days as a pending action"


def orders_to_rest(p: RiskParams, positions: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per order that will rest for the given snapshot positions (coin, size, entry_px)."""
    lines = []
    for pos in positions:
        size, entry = float(pos["size"]), float(pos["entry_px"])
        side = 1 if size > 0 else -1
        sched = exit_schedule(p, side, entry, entry, 0.0, CoinIndicators(), False, abs(size))
        verb = "buy" if side < 0 else "sell"
        if sched.adverse_px is not None:
            lines.append(f"{pos['coin']} {verb} {abs(size):g} stop-market @ {sched.adverse_px:,.6g} ({sched.adverse_kind})")
        for tp in sched.take_profits:
            lines.append(f"{pos['coin']} {verb} {tp.size:.6g} take-profit @ {tp.px:,.6g} "
                         f"(level {tp.level} of {n_tp_levels(p)})")
    return lines
