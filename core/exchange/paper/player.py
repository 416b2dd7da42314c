"""The running scenario: price multipliers, stale windows and faults at a simulated time.

Switching scenarios bakes the old scenario's accumulated price moves into a per-coin carry,
so prices continue from where they are instead of snapping back to the base path.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from core.exchange.paper.scenario import MINUTES_PER_DAY, Scenario, ScenarioEvent

MS_PER_MINUTE = 60_000


class ScenarioPlayer:
    def __init__(self, scenario: Scenario, start_ms: int):
        self._scenario = scenario
        self._start_ms = start_ms
        self._carry_log: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    def _minute(self, sim_ms: int) -> float:
        return (sim_ms - self._start_ms) / MS_PER_MINUTE

    def switch(self, scenario: Scenario, sim_ms: int, coins: list[str]) -> None:
        """Start `scenario` at minute 0 now, keeping every price where it is."""
        with self._lock:
            minute = self._minute(sim_ms)
            for coin in coins:
                self._carry_log[coin] = self._carry_log.get(coin, 0.0) + self._scenario.log_multiplier(coin, minute)
            self._scenario, self._start_ms = scenario, sim_ms

    def log_multiplier(self, coin: str, sim_ms: int) -> float:
        with self._lock:
            return self._carry_log.get(coin, 0.0) + self._scenario.log_multiplier(coin, self._minute(sim_ms))

    def history_log_multipliers(self, coin: str, sim_ms: np.ndarray) -> np.ndarray:
        """`log_multiplier` for many times before the scenario began (minute < 0): carry plus drift."""
        with self._lock:
            minutes = (sim_ms - self._start_ms) / MS_PER_MINUTE
            if minutes.size and minutes.max() > 0:
                raise ValueError("history_log_multipliers is only for times before the scenario started")
            drift = math.log1p(self._scenario.drift_pct_per_day / 100.0) * minutes / MINUTES_PER_DAY
            return self._carry_log.get(coin, 0.0) + drift

    def is_frozen(self, sim_ms: int) -> bool:
        with self._lock:
            return self._scenario.frozen_since(self._minute(sim_ms)) is not None

    def faults(self, sim_ms: int, endpoint: str) -> list[ScenarioEvent]:
        with self._lock:
            return self._scenario.faults_at(self._minute(sim_ms), endpoint)
