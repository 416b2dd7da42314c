"""Clocks for the paper exchange: the wall clock in production, a manual one in tests.

Two time lines exist: the *wall* clock (what the SDK signs nonces with, and what the rate
limit's minute is measured in) and the *simulated* market clock, which runs `speed` times
faster and can be fast-forwarded. Tests inject `ManualClock` so nothing sleeps.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class WallClock:
    def now_ms(self) -> int:
        return int(time.time() * 1000)


class ManualClock:
    """A clock that only moves when told to; starts at the real present so nonces stay valid."""

    def __init__(self, start_ms: int | None = None):
        self._now_ms = int(time.time() * 1000) if start_ms is None else int(start_ms)
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now_ms += int(seconds * 1000)
