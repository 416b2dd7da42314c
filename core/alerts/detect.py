"""Which alerts one monitor cycle raises: a pure function of what the cycle saw and decided.

The monitor calls `cycle_alerts` after persisting a cycle and queues what it returns; nothing
here blocks or does I/O. Edges only: WATCH and a close liquidation alert when they begin, not
on every poll while they last (the dispatcher's de-dup window also absorbs flapping).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from core.alerts.model import Alert, AlertKind, Severity
from core.monitor.snapshot import PositionRisk, RiskSnapshot
from core.vocabulary import ActionStatus, BreakerState

BREAKER_SEVERITY = {BreakerState.NORMAL.name: Severity.INFO, BreakerState.TIGHTENED.name: Severity.WARNING,
                    BreakerState.REDUCING.name: Severity.CRITICAL, BreakerState.EMERGENCY.name: Severity.CRITICAL,
                    BreakerState.STALE.name: Severity.WARNING}
FAILED_LEG_STATUSES = ("rejected", "incomplete", "unknown")


@dataclass(frozen=True)
class TransitionFacts:
    from_state: str
    to_state: str
    reason: str


@dataclass(frozen=True)
class NewAction:
    id: int
    kind: str
    status: str
    reason: str


@dataclass(frozen=True)
class LegFailure:
    action_id: int
    coin: str
    side: str
    status: str
    error: str | None


def failed_legs(action_id: int, legs: Iterable) -> list[LegFailure]:
    """The order legs of a sent action (executor's LegReport: coin, side, status, error) that the
    venue refused or left incomplete or unknown: what the monitor and `approve` both alert on."""
    return [LegFailure(action_id, leg.coin, leg.side, leg.status, leg.error)
            for leg in legs if leg.status in FAILED_LEG_STATUSES]


def _transition_alert(t: TransitionFacts, now_ms: int) -> Alert:
    if t.to_state == BreakerState.STALE.name:
        return Alert(AlertKind.STALE, Severity.WARNING, f"STALE (was {t.from_state})", t.reason, "stale", now_ms)
    return Alert(AlertKind.BREAKER, BREAKER_SEVERITY.get(t.to_state, Severity.WARNING),
                 f"breaker {t.from_state} -> {t.to_state}", t.reason, f"breaker:{t.to_state}", now_ms)


def _close_to_liquidation(p: PositionRisk, distance: float) -> bool:
    return p.dist_liquidation is not None and p.dist_liquidation < distance


def _liquidation_alerts(snap: RiskSnapshot, previous: RiskSnapshot | None, distance: float,
                        now_ms: int) -> list[Alert]:
    before = {p.coin for p in (previous.positions if previous else ()) if _close_to_liquidation(p, distance)}
    out = []
    for p in snap.positions:
        if _close_to_liquidation(p, distance) and p.coin not in before:
            out.append(Alert(AlertKind.LIQUIDATION, Severity.CRITICAL,
                             f"{p.coin} {p.side} {p.dist_liquidation:.1%} from liquidation",
                             f"mark {p.mark_px:g}, liquidation {p.liquidation_px:g}, leverage {p.leverage or 0:g}x "
                             f"{p.leverage_type}", f"liquidation:{p.coin}", now_ms))
    return out


def cycle_alerts(snap: RiskSnapshot, previous: RiskSnapshot | None, transition: TransitionFacts | None,
                 new_actions: Sequence[NewAction], failures: Iterable[LegFailure],
                 liquidation_alert_distance: float, now_ms: int) -> list[Alert]:
    out: list[Alert] = []
    if transition is not None:
        out.append(_transition_alert(transition, now_ms))
    if snap.watch and not (previous is not None and previous.watch) and snap.breaker_state == BreakerState.NORMAL.name:
        out.append(Alert(AlertKind.WATCH, Severity.WARNING,
                         f"WATCH: drawdown {snap.drawdown_ratio:.2f} of max",
                         f"drawdown {snap.drawdown or 0:.2%}; WATCH from {snap.watch_fraction:.2f} x max "
                         f"{snap.max_drawdown_pct:.2%}; nothing is done", "watch", now_ms))
    for a in new_actions:
        if a.status == ActionStatus.PENDING:
            out.append(Alert(AlertKind.PENDING_ACTION, Severity.CRITICAL, f"action #{a.id} ({a.kind}) needs approval",
                             a.reason, f"action:{a.id}", now_ms))
    out.extend(failure_alerts(failures, now_ms))
    if snap.data_error is None:
        out.extend(_liquidation_alerts(snap, previous, liquidation_alert_distance, now_ms))
    return out


def failure_alerts(failures: Iterable[LegFailure], now_ms: int) -> list[Alert]:
    """One alert per order leg the venue refused or left incomplete (any send path)."""
    return [Alert(AlertKind.ORDER_FAILURE, Severity.CRITICAL, f"order {f.status}: {f.coin} {f.side}",
                  f"action #{f.action_id}: {f.error or f.status}", f"order:{f.action_id}:{f.coin}:{f.status}", now_ms)
            for f in failures]


def test_alert(now_ms: int) -> Alert:
    return Alert(AlertKind.TEST, Severity.INFO, "test alert",
                 "evorisk alerts test: if you read this, this channel works", f"test:{now_ms}", now_ms)


test_alert.__test__ = False  # type: ignore[attr-defined]  # pytest: not a test
