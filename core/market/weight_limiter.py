"""A client-side request-weight budget, so a long candle download never earns a 429.

Hyperliquid counts REST weight per IP over a rolling minute (HYPERLIQUID.md section 6). We spend
from a smaller budget than the venue's 1200 so a monitor polling from the same machine keeps
its share. The clock and the sleep are injected: tests run without waiting.
"""
from __future__ import annotations

import collections
import time
from collections.abc import Callable

VENUE_WEIGHT_PER_MINUTE = 1200
# Leave 200 weight a minute to a monitor on the same IP (clearinghouseState + allMids every
# 2 s is 120, SPEC 5 polls every 30 s, so 200 is generous).
DEFAULT_BUDGET_PER_MINUTE = 1000
WINDOW_S = 60.0
CANDLE_SNAPSHOT_BASE_WEIGHT = 20
CANDLES_PER_EXTRA_WEIGHT = 60


def candle_snapshot_weight(n_candles: int) -> int:
    """Weight of one candleSnapshot answer: 20 plus 1 per 60 candles returned."""
    return CANDLE_SNAPSHOT_BASE_WEIGHT + max(0, int(n_candles)) // CANDLES_PER_EXTRA_WEIGHT


class WeightLimiter:
    """Rolling one-minute sum of spent weight; `acquire` sleeps until a request fits."""

    def __init__(self, budget_per_minute: int = DEFAULT_BUDGET_PER_MINUTE,
                 now_s: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if not 0 < budget_per_minute <= VENUE_WEIGHT_PER_MINUTE:
            raise ValueError(f"weight budget must be in (0, {VENUE_WEIGHT_PER_MINUTE}], got {budget_per_minute}")
        self.budget_per_minute = int(budget_per_minute)
        self._now_s = now_s
        self._sleep = sleep
        self._spent: collections.deque[list] = collections.deque()  # [time_s, weight]
        self.waited_s = 0.0  # total time spent waiting for budget (reported by fetches)

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - WINDOW_S:
            self._spent.popleft()

    def spent_in_window(self) -> int:
        self._expire(self._now_s())
        return sum(w for _, w in self._spent)

    def acquire(self, weight: int) -> None:
        """Wait until `weight` fits into the last minute's budget, then record it as spent."""
        weight = min(int(weight), self.budget_per_minute)  # one request may never exceed the budget
        while True:
            now = self._now_s()
            self._expire(now)
            if sum(w for _, w in self._spent) + weight <= self.budget_per_minute:
                self._spent.append([now, weight])
                return
            wait_s = max(self._spent[0][0] + WINDOW_S - now, 0.01)
            self.waited_s += wait_s
            self._sleep(wait_s)

    def settle(self, actual_weight: int) -> None:
        """Replace the last acquired estimate with what the answer really cost."""
        if self._spent:
            self._spent[-1][1] = int(actual_weight)
