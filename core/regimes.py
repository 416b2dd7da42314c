"""Regime rules (SPEC section 3), written once in plain numeric Python so the numba kernel can
compile the very same functions (`njit(...)(regime_code)`) that the numpy side calls.

Codes index REGIME_NAMES and the multiplier table REGIME_MULT (columns SL, TP, trail).
"""
from __future__ import annotations

import math

import numpy as np

BULL_VOLATILE, BEAR_VOLATILE, SIDEWAYS_VOLATILE, BULL_STABLE, BEAR_STABLE, SIDEWAYS_STABLE = range(6)
REGIME_NAMES = (
    "bull_volatile", "bear_volatile", "sideways_volatile",
    "bull_stable", "bear_stable", "sideways_stable",
)
N_REGIMES = 6
# Multipliers (SL, TP, trail) blended in by gene 18 (regime_sensitivity).
REGIME_MULT = np.array([
    [1.2, 1.5, 1.1],
    [0.8, 0.7, 1.3],
    [0.9, 0.8, 1.2],
    [1.1, 1.3, 1.0],
    [0.9, 0.9, 1.1],
    [1.0, 1.0, 1.0],
], dtype=np.float64)

VOLATILE_ANNUAL_VOL = 0.6  # annualised vol above this is "volatile"
TREND_VOLATILE = 0.2  # bull/bear threshold in volatile markets
TREND_STABLE = 0.1  # bull/bear threshold in stable markets
DECISION_LOOKBACK_BARS = 180  # decision-time regime looks at the trailing 180 bars


def regime_code(closes: np.ndarray, start: int, stop: int, periods_per_year: float) -> int:
    """Regime of closes[start:stop]: annualised vol of simple returns and last/first trend."""
    n = stop - start
    if n < 3:
        return SIDEWAYS_STABLE
    total = 0.0
    for i in range(start + 1, stop):
        total += closes[i] / closes[i - 1] - 1.0
    mean = total / (n - 1)
    ss = 0.0
    for i in range(start + 1, stop):
        d = closes[i] / closes[i - 1] - 1.0 - mean
        ss += d * d
    vol = math.sqrt(ss / (n - 1)) * math.sqrt(periods_per_year)
    trend = closes[stop - 1] / closes[start] - 1.0
    if vol > VOLATILE_ANNUAL_VOL:
        if trend > TREND_VOLATILE:
            return BULL_VOLATILE
        if trend < -TREND_VOLATILE:
            return BEAR_VOLATILE
        return SIDEWAYS_VOLATILE
    if trend > TREND_STABLE:
        return BULL_STABLE
    if trend < -TREND_STABLE:
        return BEAR_STABLE
    return SIDEWAYS_STABLE


def window_regime(closes: np.ndarray, periods_per_year: float = 365.0) -> str:
    """Name of the regime of a whole window (used to group fitness scores)."""
    closes = np.asarray(closes, dtype=np.float64)
    return REGIME_NAMES[regime_code(closes, 0, closes.shape[0], periods_per_year)]


def decision_regime(closes: np.ndarray, t: int, periods_per_year: float = 365.0) -> str:
    """Regime known at bar t: the same rule on the trailing 180 bars ending at t (no look-ahead)."""
    closes = np.asarray(closes, dtype=np.float64)
    start = max(0, t + 1 - DECISION_LOOKBACK_BARS)
    return REGIME_NAMES[regime_code(closes, start, t + 1, periods_per_year)]
