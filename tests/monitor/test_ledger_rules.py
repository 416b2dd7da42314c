"""The action ledger's rules, decided in core (SPEC: approvals are bound to exact orders, every order
carries a deterministic cloid, an exit supersedes a pending halving, a late approval expires)."""
from __future__ import annotations

from core.monitor import ledger_rules as rules
from core.monitor.orders import CancelLeg, OrderLeg, ProposedAction, derive_cloid
from core.vocabulary import ActionKind, ActionStatus

LEGS = (OrderLeg(leg=0, coin="BTC", side="sell", size=0.01, limit_px=58800.0),
        OrderLeg(leg=1, coin="ETH", side="buy", size=0.5, limit_px=3060.0))
HALVE = ProposedAction(ActionKind.REDUCE, "REDUCING: halve every position", LEGS)


def test_every_leg_carries_the_cloid_of_its_first_attempt_from_salt_action_and_leg():
    sealed = rules.seal(HALVE, "s4lt", 7)
    assert [o["cloid"] for o in sealed.orders] == [derive_cloid("s4lt", 7, 0, 0), derive_cloid("s4lt", 7, 1, 0)]
    assert [o["coin"] for o in sealed.orders] == ["BTC", "ETH"]


def test_the_same_action_always_seals_the_same_and_another_database_or_id_does_not():
    again = rules.seal(HALVE, "s4lt", 7)
    assert again == rules.seal(HALVE, "s4lt", 7)
    assert rules.seal(HALVE, "other", 7).intent_hash != again.intent_hash
    assert rules.seal(HALVE, "s4lt", 8).intent_hash != again.intent_hash
    assert {o["cloid"] for o in rules.seal(HALVE, "other", 7).orders}.isdisjoint({o["cloid"] for o in again.orders})


def test_the_intent_hash_breaks_when_any_order_size_price_or_cancel_changes():
    base = rules.seal(HALVE, "s4lt", 7).intent_hash
    bigger = ProposedAction(HALVE.kind, HALVE.reason, (LEGS[0], OrderLeg(1, "ETH", "buy", 0.6, 3060.0)))
    cheaper = ProposedAction(HALVE.kind, HALVE.reason, (OrderLeg(0, "BTC", "sell", 0.01, 58000.0), LEGS[1]))
    cancelling = ProposedAction(HALVE.kind, HALVE.reason, LEGS, (CancelLeg("BTC", "0x" + "ab" * 16),))
    exiting = ProposedAction(ActionKind.EXIT_ALL, HALVE.reason, LEGS)
    hashes = {rules.seal(p, "s4lt", 7).intent_hash for p in (bigger, cheaper, cancelling, exiting)}
    assert base not in hashes and len(hashes) == 4


def test_the_reason_text_is_not_part_of_what_an_approval_allows():
    reworded = ProposedAction(HALVE.kind, "another wording", LEGS)
    assert rules.seal(reworded, "s4lt", 7).intent_hash == rules.seal(HALVE, "s4lt", 7).intent_hash


def test_an_enum_kind_seals_exactly_like_the_stored_string():
    """Rows written before the vocabulary enums must still verify: the hash sees the same text."""
    as_text = ProposedAction("reduce", HALVE.reason, LEGS)
    assert rules.seal(as_text, "s4lt", 7) == rules.seal(HALVE, "s4lt", 7)


def test_an_exit_of_everything_supersedes_pending_halvings_and_nothing_else_supersedes():
    assert rules.superseded_kinds(ActionKind.EXIT_ALL) == (ActionKind.REDUCE,)
    for kind in ActionKind:
        if kind != ActionKind.EXIT_ALL:
            assert rules.superseded_kinds(kind) == ()
    assert rules.superseded_detail(12) == "superseded by exit #12"


def test_a_pending_action_expires_only_after_its_expiry():
    assert not rules.is_expired(expires_ms=1_000, now_ms=999)
    assert not rules.is_expired(expires_ms=1_000, now_ms=1_000)
    assert rules.is_expired(expires_ms=1_000, now_ms=1_001)


def test_only_a_pending_unexpired_action_may_be_approved_or_rejected():
    assert rules.decision_refusal(ActionStatus.PENDING, expires_ms=1_000, now_ms=1_000) is None
    assert rules.decision_refusal(ActionStatus.PENDING, expires_ms=1_000, now_ms=1_001) == rules.JUST_EXPIRED
    for status in ActionStatus:
        if status != ActionStatus.PENDING:
            assert rules.decision_refusal(status, expires_ms=1_000, now_ms=0) == status


def test_each_database_gets_its_own_salt():
    salts = {rules.new_cloid_salt() for _ in range(20)}
    assert len(salts) == 20 and all(len(s) == 2 * rules.CLOID_SALT_BYTES for s in salts)
