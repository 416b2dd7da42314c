"""CSV bars replayed as per-minute moves, cycling through the file without compounding.

Replaying a file's returns over and over multiplies the price by the file's net move
(last close / first close) on every pass: five years of hourly BTC is about x4.5 a pass, so a
paper exchange that has run for a year shows BTC near 1e13 and every demo position rounds to
size 0. Each pass therefore has the file's average log move per bar taken out (the moves are
detrended), so a pass ends exactly at the level it began and the next one continues from there.
The price stays within the file's own relative range (its path with a straight line in log
space removed), however long the exchange runs.

Why detrending and not mirroring alternate passes: a mirrored pass plays history backwards, so
the file's crashes (sudden, then volatile) become squeezes and volatility builds up before a
shock instead of after it. The stops and breaker are tuned on crash dynamics, so every pass
keeps time's arrow; the price paid is a constant per-bar drift (3e-5 for the hourly BTC file,
about 1/200 of a typical hourly move).
"""
from __future__ import annotations

import numpy as np

from core.errors import BadInputError
from core.market.ohlcv import OHLCV

MIN_REPLAY_BARS = 2  # one move needs two closes
VOLUME_FLOOR = 1e-12  # a file of zero volumes replays as zero volume, not as a division by zero


class CsvReplay:
    """One coin's file as detrended log moves, wicks and relative volume, served in chunks."""

    def __init__(self, series: OHLCV):
        if len(series) < MIN_REPLAY_BARS:
            raise BadInputError(f"replay CSV for {series.name}: needs at least {MIN_REPLAY_BARS} bars, "
                                f"got {len(series)}")
        o, h, l, c = series.open[1:], series.high[1:], series.low[1:], series.close[1:]
        moves = np.log(c / series.close[:-1])  # move k takes close k to close k + 1
        # log(last / first) spread evenly over the pass; computed from the ends, not summed, so a
        # pass closes exactly where it started up to one rounding.
        self.drift_per_bar = float(np.log(series.close[-1] / series.close[0])) / len(moves)
        self.log_moves = moves - self.drift_per_bar
        self.wick_hi = np.log(h / np.maximum(o, c))
        self.wick_lo = np.log(np.minimum(o, c) / l)
        self.rel_volume = series.volume[1:] / max(float(np.mean(series.volume)), VOLUME_FLOOR)
        self._pos = 0

    @property
    def bars_per_pass(self) -> int:
        return int(self.log_moves.shape[0])

    def next_chunk(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The next `n` minutes as (log move, upper wick, lower wick, volume / mean volume)."""
        idx = (self._pos + np.arange(n)) % self.bars_per_pass
        self._pos = (self._pos + n) % self.bars_per_pass
        return self.log_moves[idx], self.wick_hi[idx], self.wick_lo[idx], self.rel_volume[idx]
