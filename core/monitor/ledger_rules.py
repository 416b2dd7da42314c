"""The rules of the action ledger that storage applies but never decides.

Why here: an approval is bound to exact orders, a cloid must be the same on every retry, an exit
makes a waiting halving pointless and a late approval must not send a stale book. Those are risk
decisions, so they live in core as pure functions and are tested here; storage/action_repo.py
calls them inside its transaction with the values it just read and writes what they return.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from core.monitor.orders import ProposedAction, cancels_to_json, intent_hash, legs_to_json, with_cloids
from core.vocabulary import ActionKind, ActionStatus

CLOID_SALT_BYTES = 8  # 16 hex characters, mixed into every cloid of one database
EXPIRED_DETAIL = "expired before a decision"
JUST_EXPIRED = "just expired"  # the refusal when an approval arrives after the action's expiry
SUPERSEDES: dict[str, tuple[ActionKind, ...]] = {ActionKind.EXIT_ALL: (ActionKind.REDUCE,)}


@dataclass(frozen=True)
class SealedAction:
    """What an approval of one action allows: its orders with cloids, its cancels and their hash."""

    orders: list[dict[str, Any]]
    cancels: list[dict[str, Any]]
    intent_hash: str


def new_cloid_salt() -> str:
    """A fresh per-database salt, so two databases never derive the same cloids."""
    return secrets.token_hex(CLOID_SALT_BYTES)


def seal(proposed: ProposedAction, salt: str, action_id: int) -> SealedAction:
    """The action's orders as listed to the operator (each leg with its first-attempt cloid) and
    the intent hash an approval is bound to: the same inputs always give the same seal."""
    orders = legs_to_json(with_cloids(salt, action_id, proposed.legs))
    cancels = cancels_to_json(proposed.cancels)
    return SealedAction(orders, cancels, intent_hash(action_id, proposed.kind, orders, cancels))


def superseded_kinds(kind: str) -> tuple[ActionKind, ...]:
    """Kinds of pending action a new action of `kind` makes pointless: an exit of everything
    supersedes a waiting halving (approving both would sell twice)."""
    return SUPERSEDES.get(kind, ())


def superseded_detail(action_id: int) -> str:
    return f"superseded by exit #{action_id}"


def is_expired(expires_ms: int, now_ms: int) -> bool:
    """A pending action is priced at its creation; past its expiry it may no longer be decided."""
    return now_ms > expires_ms


def decision_refusal(status: str, expires_ms: int, now_ms: int) -> str | None:
    """Why the operator may not approve or reject an action now (its status, or JUST_EXPIRED),
    or None when the decision may be recorded."""
    if status != ActionStatus.PENDING:
        return status
    if is_expired(expires_ms, now_ms):
        return JUST_EXPIRED
    return None
