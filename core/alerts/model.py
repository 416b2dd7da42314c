"""An alert event and the Protocol storage implements to record it and its deliveries."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class AlertKind(str, Enum):
    BREAKER = "breaker"  # a breaker transition (STALE has its own kind)
    PENDING_ACTION = "pending_action"  # a new action waits for the operator
    ORDER_FAILURE = "order_failure"  # an order the venue refused or that stayed incomplete
    STALE = "stale"  # no trustworthy data: the monitor decides nothing
    WATCH = "watch"  # drawdown crossed the WATCH level (before any breaker acts)
    LIQUIDATION = "liquidation"  # a position closer to its liquidation price than the alert distance
    TEST = "test"  # `evorisk alerts test`


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    """One thing that happened. `dedup_key` names the state it reports: a second alert with the
    same key inside the de-dup window is the same state flapping and is not delivered again."""

    kind: AlertKind
    severity: Severity
    title: str
    body: str
    dedup_key: str
    time_ms: int

    @property
    def text(self) -> str:
        return f"{self.title}: {self.body}" if self.body else self.title


# Delivery statuses, one row per attempt.
DELIVERED, FAILED, GAVE_UP = "delivered", "failed", "gave_up"


class AlertSink(Protocol):
    """What the dispatcher writes (storage/alert_repo.py). Every call is one short transaction."""

    def record_alert(self, alert: Alert) -> int: ...

    def record_repeat(self, event_id: int, time_ms: int) -> None: ...

    def record_delivery(self, event_id: int, channel: str, target: str, attempt: int, status: str,
                        error: str | None, time_ms: int) -> None: ...


class AlertOutlet(Protocol):
    """What the monitor hands alerts to (AlertDispatcher): `raise_alert` only queues, never blocks."""

    def raise_alert(self, alert: Alert) -> bool: ...
