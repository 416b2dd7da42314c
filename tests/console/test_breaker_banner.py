"""The breaker banner asks for the operator's approval only while the breaker's action waits for it
(SPEC 5: REDUCING and EMERGENCY need an operator; once the exit is sent or done, saying "needs your
approval" would send them looking for something that is not there)."""
from __future__ import annotations

from dataclasses import replace

from console.widgets.breaker_banner import breaker_duty
from core.vocabulary import ActionStatus
from tests.support.risk_snapshots import snapshot


def emergency(status: str | None, closed: bool = False):
    snap = snapshot("EMERGENCY", ratio=1.07, pending=status is not None)
    if status is not None:
        snap = replace(snap, pending_actions=tuple(replace(a, status=status) for a in snap.pending_actions))
    return replace(snap, positions=()) if closed else snap


def test_an_emergency_exit_waiting_for_the_operator_needs_their_approval():
    assert "needs your approval" in breaker_duty(emergency(ActionStatus.PENDING))


def test_an_approved_exit_being_sent_says_so_instead_of_asking_again():
    duty = breaker_duty(emergency(ActionStatus.SENDING))
    assert "approved, sending" in duty and "needs your approval" not in duty


def test_after_everything_closed_the_banner_says_what_is_left_to_do():
    duty = breaker_duty(emergency(None, closed=True))
    assert "everything closed" in duty and "breaker reset" in duty and "needs your approval" not in duty


def test_with_positions_left_and_no_exit_waiting_the_banner_says_how_to_propose_one():
    duty = breaker_duty(emergency(None))
    assert "no exit waits for approval" in duty and "p proposes it again" in duty


def test_states_without_an_operator_action_are_unchanged():
    assert breaker_duty(snapshot("NORMAL")) == "rules as evolved"
