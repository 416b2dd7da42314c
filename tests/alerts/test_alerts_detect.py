"""Which alerts a monitor cycle raises: edges, not levels (WATCH and a close liquidation alert
when they begin), breaker transitions and STALE, actions waiting for the operator, failed orders."""
from __future__ import annotations

from dataclasses import replace

from core.alerts.detect import LegFailure, NewAction, TransitionFacts, cycle_alerts
from core.alerts.model import AlertKind, Severity
from tests.support.risk_snapshots import perp_snapshot, snapshot

DIST = 0.05


def kinds(alerts) -> list[str]:
    return [a.kind.value for a in alerts]


def test_watch_alerts_once_when_it_begins_and_never_while_it_lasts():
    calm = snapshot("NORMAL", 0.2)
    watching = replace(calm, watch=True, drawdown_ratio=0.4)
    first = cycle_alerts(watching, calm, None, (), (), DIST, 1)
    assert kinds(first) == ["watch"] and first[0].severity is Severity.WARNING and "nothing is done" in first[0].body
    assert cycle_alerts(watching, watching, None, (), (), DIST, 2) == []


def test_watch_inside_a_breaker_state_is_left_to_the_breaker_alert():
    tight = replace(snapshot("TIGHTENED", 0.55), watch=True)
    out = cycle_alerts(tight, snapshot("NORMAL", 0.3), TransitionFacts("NORMAL", "TIGHTENED", "drawdown"), (), (),
                       DIST, 1)
    assert kinds(out) == ["breaker"] and out[0].dedup_key == "breaker:TIGHTENED"


def test_stale_and_emergency_transitions_have_their_own_keys_and_severity():
    (stale,) = cycle_alerts(snapshot(), None, TransitionFacts("NORMAL", "STALE", "no poll for 90 s"), (), (), DIST, 1)
    assert stale.kind is AlertKind.STALE and stale.dedup_key == "stale"
    (emergency,) = cycle_alerts(snapshot("EMERGENCY", 1.05), None,
                                TransitionFacts("REDUCING", "EMERGENCY", "drawdown"), (), (), DIST, 1)
    assert emergency.severity is Severity.CRITICAL


def test_only_actions_waiting_for_the_operator_alert_and_failed_orders_always_do():
    actions = (NewAction(4, "exit_all", "pending", "EMERGENCY: close every position"),
               NewAction(5, "protective_stops", "approved", "TIGHTENED: stops"))
    failures = (LegFailure(4, "BTC", "sell", "rejected", "Reduce only order would increase position."),)
    out = cycle_alerts(snapshot(), snapshot(), None, actions, failures, DIST, 1)
    assert kinds(out) == ["pending_action", "order_failure"]
    assert "#4" in out[0].title and "Reduce only" in out[1].body


def test_a_close_liquidation_alerts_once_per_coin_when_it_begins():
    near = perp_snapshot()  # SOL is 4.1 % from liquidation, BTC and ETH far
    far = replace(near, positions=tuple(replace(p, dist_liquidation=0.2) for p in near.positions))
    (alert,) = cycle_alerts(replace(near, watch=False), far, None, (), (), DIST, 1)
    assert alert.kind is AlertKind.LIQUIDATION and alert.dedup_key == "liquidation:SOL" and "SOL" in alert.title
    assert cycle_alerts(replace(near, watch=False), near, None, (), (), DIST, 2) == []
    stale = replace(near, watch=False, data_error="exchange unavailable")
    assert cycle_alerts(stale, far, None, (), (), DIST, 3) == []  # old numbers never raise new alarms
