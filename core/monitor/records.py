"""Typed rows the monitor and the executor exchange with storage, and the Protocol storage
implements (storage/monitor_repo.py), so core never sees SQL and storage never decides: the
ledger's rules (cloids, intent hash, supersession, expiry) are core.monitor.ledger_rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import BadInputError
from core.monitor.claims import ClaimState
from core.monitor.orders import CancelLeg, OrderLeg, ProposedAction
from core.vocabulary import ActionKind, ActionStatus

OPEN_FOR_EXECUTION = (ActionStatus.APPROVED, ActionStatus.SENDING)  # the only statuses the executor sends for
# Order row statuses: INTENT is committed before the POST; its outcome is unknown until answered.
INTENT, NOT_FOUND = "intent", "not_found"


class ActionStateError(BadInputError):
    """The operator asked for something the action's state does not allow (exit code 2)."""


@dataclass(frozen=True)
class ActionRecord:
    id: int
    kind: ActionKind
    status: ActionStatus
    created_ms: int
    expires_ms: int
    reason: str
    legs: tuple[OrderLeg, ...]
    cancels: tuple[CancelLeg, ...]
    intent_hash: str
    auto_approved_by: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ApprovalRecord:
    action_id: int
    decision: str  # ActionStatus.APPROVED or ActionStatus.REJECTED
    decided_by: str
    decided_ms: int
    intent_hash: str


@dataclass(frozen=True)
class OrderRecord:
    cloid: str
    action_id: int
    leg: int
    attempt: int
    coin: str
    is_buy: bool
    size: float
    limit_px: float
    trigger_px: float | None
    status: str
    filled_size: float = 0.0
    avg_px: float | None = None
    oid: int | None = None
    error: str | None = None
    posts: int = 0  # POSTs of this cloid recorded so far (each one preceded by an intent commit)
    in_flight_until_ms: int | None = None  # its last POST's signed expiresAfter


class ActionLedger(Protocol):
    """What the executor needs from storage. Every write is one committed transaction."""

    def cloid_salt(self) -> str: ...

    def create_action(self, proposed: ProposedAction, created_ms: int, expires_ms: int) -> ActionRecord: ...

    def get_action(self, action_id: int) -> ActionRecord | None: ...

    def get_approval(self, action_id: int) -> ApprovalRecord | None: ...

    def set_action_status(self, action_id: int, status: str, now_ms: int, detail: str = "") -> None: ...

    def actions_with_status(self, statuses: tuple[str, ...]) -> list[ActionRecord]: ...

    def record_order_intent(self, order: OrderRecord, request: dict[str, Any], now_ms: int) -> None: ...

    def update_order(self, cloid: str, status: str, now_ms: int, filled_size: float = 0.0,
                     avg_px: float | None = None, oid: int | None = None, error: str | None = None) -> None: ...

    def get_order(self, cloid: str) -> OrderRecord | None: ...

    def orders_with_status(self, status: str) -> list[OrderRecord]: ...

    def orders_for_action(self, action_id: int) -> list[OrderRecord]: ...

    def get_claim(self, action_id: int) -> ClaimState | None: ...

    def take_claim(self, seen: ClaimState, owner: str, now_ms: int, lease_ms: int) -> bool:
        """Compare-and-set: the claim becomes `owner`'s only if it is still exactly `seen`."""

    def renew_claim(self, action_id: int, owner: str, now_ms: int, lease_ms: int) -> bool: ...

    def release_claim(self, action_id: int, owner: str, now_ms: int) -> None: ...

    def begin_post(self, order: OrderRecord, request: dict[str, Any], owner: str, now_ms: int,
                   in_flight_until_ms: int) -> int:
        """Set the row to INTENT (creating it if new) and append its POST row, in one commit;
        returns the POST's number."""

    def mark_never_booked(self, cloid: str, post_no: int, now_ms: int) -> bool:
        """NOT_FOUND only if the row is still the INTENT of POST `post_no`."""

    def finish_post(self, cloid: str, post_no: int, outcome: str, detail: str, now_ms: int) -> None: ...

    def record_fill(self, cloid: str, action_id: int, coin: str, size: float, px: float | None, time_ms: int) -> None: ...
