"""The live monitor's storage: one object over every monitor table group (implements
core.monitor.records.ActionLedger and core.monitor.service.MonitorRepository).

Each table group has its own repository module (state, snapshots, actions, orders, claims,
promotions); the monitor and the executor need all of them on one connection with one retry
schedule and one busy counter, so MonitorRepo combines them and adds no SQL of its own.
"""
from __future__ import annotations

from storage.action_repo import ActionRepo
from storage.claim_repo import ClaimRepo
from storage.order_repo import OrderRepo
from storage.promotion_repo import PromotionRepo
from storage.retrying import BUSY_RETRY_DELAYS_S
from storage.snapshot_repo import SNAPSHOT_KEEP_ROWS, SnapshotRepo

__all__ = ["BUSY_RETRY_DELAYS_S", "SNAPSHOT_KEEP_ROWS", "MonitorRepo"]


class MonitorRepo(ActionRepo, OrderRepo, ClaimRepo, SnapshotRepo, PromotionRepo):
    """All monitor tables; built as MonitorRepo(store) or MonitorRepo(store, retry_delays_s=...)."""
