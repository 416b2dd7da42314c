"""Operator actions follow the book, and the operator can ask for an exit again.

An action waiting for approval was priced and sized at its creation. When the positions change
underneath it (a stop closed one, a fill changed a size, a side flipped), approving it would
send orders for a book that no longer exists, so it is superseded and the breaker proposes again
at the positions held now. After a rejected or expired exit, `propose-exit` (CLI, console) asks
for a new one; whether it is proposed is decided here, storage only keeps the request.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

from core.exchange.models import Position
from core.monitor.orders import ProposedAction
from core.monitor.proposals import close_legs
from core.monitor.records import ActionRecord
from core.monitor.state import MonitorState
from core.vocabulary import OPERATOR_APPROVED_KINDS, ActionKind

EXIT_REQUEST_KEY = "exit_request"  # {"by", "coin" (None = everything), "requested_ms"}
EXIT_REQUEST_OUTCOME_KEY = "exit_request_outcome"  # {"action_id" | None, "message", "time_ms"}
SIZE_TOLERANCE = 1e-9  # relative: venue sizes are decimals, compare them as such


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= SIZE_TOLERANCE * max(abs(a), abs(b), 1.0)


def outdated_reason(action: ActionRecord, positions: Sequence[Position]) -> str | None:
    """Why `action`'s orders no longer fit `positions`, or None while they still do."""
    held = {p.coin: p for p in positions}
    legs = {leg.coin: leg for leg in action.legs}
    for coin, leg in legs.items():
        pos = held.get(coin)
        if pos is None:
            return f"{coin} is no longer held"
        if (pos.size < 0) != leg.is_buy:
            return f"{coin} flipped side"
        if action.kind in (ActionKind.EXIT_ALL, ActionKind.EXIT_COIN) and not _same_size(leg.size, abs(pos.size)):
            return f"{coin} size is now {abs(pos.size):g}, the order closes {leg.size:g}"
        if action.kind == ActionKind.REDUCE and leg.size > abs(pos.size) * (1 + SIZE_TOLERANCE):
            return f"{coin} size is now {abs(pos.size):g}, below the order's {leg.size:g}"
    return None  # a coin opened since is simply not in the action: what it sends is still right


def outdated_actions(actions: Sequence[ActionRecord], positions: Sequence[Position]
                     ) -> list[tuple[ActionRecord, str]]:
    """Pending operator actions to supersede, each with the reason in words."""
    out = []
    for action in actions:
        if action.kind in OPERATOR_APPROVED_KINDS:
            why = outdated_reason(action, positions)
            if why is not None:
                out.append((action, why))
    return out


def reopen_episode(state: MonitorState, superseded_kinds: Sequence[str]) -> MonitorState:
    """A superseded breaker action no longer counts as proposed in this episode, so the breaker
    proposes it again, at the current positions, on this very cycle."""
    return replace(state, exit_proposed=state.exit_proposed and ActionKind.EXIT_ALL not in superseded_kinds,
                   reduce_done=state.reduce_done and ActionKind.REDUCE not in superseded_kinds)


def requested_exit(coin: str | None, by: str, positions: Sequence[Position], mids: Mapping[str, float],
                   sz_decimals: Mapping[str, int], waiting: Sequence[ActionRecord],
                   proposed_now: Sequence[ProposedAction]) -> tuple[ProposedAction | None, str]:
    """The exit an operator asked for (one coin or everything), or None and why not."""
    kind = ActionKind.EXIT_ALL if coin is None else ActionKind.EXIT_COIN
    chosen = [p for p in positions if coin is None or p.coin == coin]
    if not chosen:
        return None, f"{coin} is not held" if coin else "no open positions to exit"
    for action in waiting:
        covers = action.kind == ActionKind.EXIT_ALL or (action.kind == ActionKind.EXIT_COIN and coin is not None
                                               and any(leg.coin == coin for leg in action.legs))
        if covers:
            return None, f"action {action.id} already proposes this exit and waits for a decision"
    if any(p.kind == ActionKind.EXIT_ALL for p in proposed_now):
        return None, "the breaker proposes the exit on this cycle"
    legs = close_legs(chosen, mids, 1.0, sz_decimals)
    what = "close every position" if coin is None else f"close {coin}"
    return ProposedAction(kind, f"requested by {by}: {what}", legs), f"proposed: {what}"
