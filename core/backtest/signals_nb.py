"""The entry signals of every window in bar order, built once per population call.

Which assets signal an entry at a bar's previous close does not depend on the genome, so the
kernel reads them from a compact list (EntrySignals, enums.py: per window and bar an offset range
into flat asset / direction arrays) instead of scanning every asset at every bar of every genome.
"""
from __future__ import annotations

import core.numba_cache  # noqa: F401  (first: keys numba's cache on every kernel source)
import numpy as np
from numba import njit

from core.backtest.enums import EntrySignals


@njit(cache=True, nogil=True, error_model="numpy")
def entry_direction_nb(long_signal, short_signal, allow_short):
    """+1 / -1 / 0: the entry signalled at the previous close (a long wins a tie)."""
    if long_signal:
        return 1.0
    if allow_short and short_signal:
        return -1.0
    return 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def entry_signals_nb(window_starts, n_bars, participation, market, allow_short):
    """EntrySignals of windows starting at window_starts (W,), n_bars long, where participation
    (W, A) assets have data: bar i of window w may enter asset[k] in direction[k] for k in
    offsets[w, i] .. offsets[w, i + 1] - 1, in ascending asset order (the order the phases enter)."""
    n_win, n_assets = participation.shape
    offsets = np.zeros((n_win, n_bars + 1), dtype=np.int64)
    n = 0
    for fill in range(2):  # count, then fill arrays of that size
        if fill:
            asset = np.empty(n, dtype=np.int64)
            direction = np.empty(n)
        else:
            asset = np.empty(0, dtype=np.int64)
            direction = np.empty(0)
        n = 0
        for w in range(n_win):
            for i in range(n_bars):
                offsets[w, i] = n
                t = window_starts[w] + i
                if t < 1:
                    continue
                for a in range(n_assets):
                    if not participation[w, a]:
                        continue
                    d = entry_direction_nb(market.entry_long[a, t - 1], market.entry_short[a, t - 1], allow_short)
                    if d != 0.0:
                        if fill:
                            asset[n] = a
                            direction[n] = d
                        n += 1
            offsets[w, n_bars] = n
    return EntrySignals(offsets, asset, direction)
