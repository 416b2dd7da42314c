"""The operator's requests a running monitor answers at its next cycle: a breaker reset, an
exit of one coin or of everything (`evorisk reset-breaker`, `propose-exit`, the console's keys),
and the supersession of pending actions the book has outgrown.

Why here and not in the service: each is one rule on (stored request, monitor state, market) with
its own log line and stored outcome; the cycle only says when they run. The requests arrive as
key/value rows because the requester may be another process (a CLI next to a headless monitor).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from core import policy
from core.monitor import supersede
from core.monitor.state import MonitorState
from core.vocabulary import ActionStatus, BreakerState

if TYPE_CHECKING:
    from core.exchange.models import Position
    from core.monitor.evaluate import Evaluation, MarketInputs
    from core.monitor.service_config import MonitorRepository

log = logging.getLogger("evorisk.monitor")

RESET_REQUEST_KEY = "reset_request"  # {"by", "requested_ms"}


def apply_reset_request(repo: MonitorRepository, state: MonitorState, equity_usd: float, now_ms: int
                        ) -> MonitorState:
    """An operator reset: the high-water mark becomes the current equity, the breaker NORMAL."""
    request = repo.get_value(RESET_REQUEST_KEY)
    if not request:
        return state
    by = str(request.get("by", "operator"))
    old = state.breaker_name
    state = replace(state, hwm_usd=equity_usd, breaker_state=policy.NORMAL, breaker_since_ms=now_ms,
                    breaker_reason=f"manual reset by {by}", reduce_done=False, exit_proposed=False)
    repo.log_breaker_event(now_ms, old, BreakerState.NORMAL.name, 0.0,
                           f"manual reset: high-water mark := {equity_usd:.2f}", by)
    repo.set_value(RESET_REQUEST_KEY, None, now_ms)
    log.warning("breaker reset by %s; high-water mark now %.2f", by, equity_usd)
    return state


def supersede_outdated(repo: MonitorRepository, state: MonitorState, positions: Sequence[Position], now_ms: int
                       ) -> MonitorState:
    """Pending actions whose orders no longer fit the book are superseded; the breaker then
    proposes again at the current positions on this cycle (core.monitor.supersede)."""
    outdated = supersede.outdated_actions(repo.actions_with_status((ActionStatus.PENDING,)), positions)
    for action, why in outdated:
        repo.set_action_status(action.id, ActionStatus.EXPIRED, now_ms, f"superseded: {why}")
        log.warning("action %d superseded: %s", action.id, why)
    if outdated:
        state = supersede.reopen_episode(state, [a.kind for a, _ in outdated])
    return state


def apply_exit_request(repo: MonitorRepository, result: Evaluation, market: MarketInputs, now_ms: int
                       ) -> Evaluation:
    """An operator's `propose-exit`: decided by core, answered through an outcome row."""
    request = repo.get_value(supersede.EXIT_REQUEST_KEY)
    if not request:
        return result
    by = str(request.get("by", "operator"))
    proposed, message = supersede.requested_exit(
        request.get("coin"), by, market.account.positions, market.mids, market.sz_decimals,
        repo.actions_with_status((ActionStatus.PENDING,)), result.proposals)
    repo.set_value(supersede.EXIT_REQUEST_KEY, None, now_ms)
    repo.set_value(supersede.EXIT_REQUEST_OUTCOME_KEY,
                   {"proposed": proposed is not None, "message": message, "time_ms": now_ms}, now_ms)
    log.warning("exit requested by %s: %s", by, message)
    if proposed is None:
        return result
    return replace(result, proposals=result.proposals + (proposed,))
