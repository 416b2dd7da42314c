"""Per-IP request weight budget: 1200 per rolling minute, weights from HYPERLIQUID.md section 6."""
from __future__ import annotations

import collections

from core.exchange.paper.clock import Clock

WEIGHT_BUDGET_PER_MINUTE = 1200
WINDOW_MS = 60_000
CHEAP_INFO_TYPES = {"l2Book": 2, "allMids": 2, "clearinghouseState": 2, "orderStatus": 2,
                    "spotClearinghouseState": 2, "exchangeStatus": 2, "userRole": 60}
DEFAULT_INFO_WEIGHT = 20
ITEMS_PER_EXTRA_WEIGHT = {"candleSnapshot": 60, "userFills": 20, "userFillsByTime": 20}
ORDERS_PER_EXTRA_EXCHANGE_WEIGHT = 40


def info_weight(request_type: str, n_items: int) -> int:
    per_item = ITEMS_PER_EXTRA_WEIGHT.get(request_type)
    extra = n_items // per_item if per_item else 0
    return CHEAP_INFO_TYPES.get(request_type, DEFAULT_INFO_WEIGHT) + extra


def exchange_weight(batch_length: int) -> int:
    return 1 + batch_length // ORDERS_PER_EXTRA_EXCHANGE_WEIGHT


class WeightWindow:
    """Rolling one-minute sum of granted weight; refused requests are not counted."""

    def __init__(self, clock: Clock, budget: int = WEIGHT_BUDGET_PER_MINUTE):
        self._clock = clock
        self.budget = budget
        self._granted: collections.deque[tuple[int, int]] = collections.deque()
        self._total = 0

    def _expire(self, now_ms: int) -> None:
        while self._granted and self._granted[0][0] <= now_ms - WINDOW_MS:
            self._total -= self._granted.popleft()[1]

    def try_spend(self, weight: int) -> float | None:
        """None if granted, else seconds until enough weight frees up."""
        now = self._clock.now_ms()
        self._expire(now)
        if self._total + weight > self.budget:
            if not self._granted:
                return WINDOW_MS / 1000
            return max(0.0, (self._granted[0][0] + WINDOW_MS - now) / 1000)
        self._granted.append((now, weight))
        self._total += weight
        return None
