"""Sliding evaluation windows (SPEC section 3: 180 bars, step 45, over each asset's full history)."""
from __future__ import annotations

import numpy as np

WINDOW_BARS = 180
WINDOW_STEP_BARS = 45


def window_starts(n_bars: int, length: int = WINDOW_BARS, step: int = WINDOW_STEP_BARS) -> np.ndarray:
    """Start indices of every full window; empty when the history is shorter than one window."""
    if length <= 0 or step <= 0:
        raise ValueError("window length and step must be positive")
    if n_bars < length:
        return np.empty(0, dtype=np.int64)
    return np.arange(0, n_bars - length + 1, step, dtype=np.int64)


def window_count(n_bars: int, length: int = WINDOW_BARS, step: int = WINDOW_STEP_BARS) -> int:
    return int(window_starts(n_bars, length, step).shape[0])
