"""Minute bars of one coin, and `candleSnapshot` aggregation to any Hyperliquid interval.

Hyperliquid keeps only the most recent 5000 candles per coin and interval (HYPERLIQUID.md
section 8): a request reaching further back gets only the part inside those 5000, counted from
the newest candle whatever the request's endTime. `kept=None` models a venue that keeps all
history and only caps each reply at 5000 counted back from endTime (the per-response reading of
the same docs, or an archive); tests that page deep into history use it.
"""
from __future__ import annotations

import numpy as np

from core.exchange.paper.wire import px_str, sz_str

MS_PER_MINUTE = 60_000
INTERVAL_MINUTES = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240,
                    "8h": 480, "12h": 720, "1d": 1440, "3d": 4320, "1w": 10080, "1M": 43200}
MAX_CANDLES = 5000  # Hyperliquid keeps only the most recent 5000 candles, so no reply is longer
TRADES_PER_MINUTE = 25  # `n` (trade count) is not modelled; a plausible constant rate
INITIAL_CAPACITY = 16384


class BarSeries:
    """Append-only arrays (amortised doubling) of minute bars: open time in ms, OHLC, base volume."""

    def __init__(self) -> None:
        self._n = 0
        self._time_ms = np.zeros(INITIAL_CAPACITY, dtype=np.int64)
        self._ohlcv = np.zeros((INITIAL_CAPACITY, 5))

    def __len__(self) -> int:
        return self._n

    def extend(self, time_ms: np.ndarray, ohlcv: np.ndarray) -> None:
        """Append many bars at once (the history at start-up)."""
        n = time_ms.shape[0]
        while self._n + n > self._time_ms.shape[0]:
            self._time_ms = np.concatenate([self._time_ms, np.zeros_like(self._time_ms)])
            self._ohlcv = np.concatenate([self._ohlcv, np.zeros_like(self._ohlcv)])
        self._time_ms[self._n: self._n + n] = time_ms
        self._ohlcv[self._n: self._n + n] = ohlcv
        self._n += n

    def append(self, time_ms: int, open_px: float, high_px: float, low_px: float, close_px: float,
               volume_base: float) -> None:
        if self._n == self._time_ms.shape[0]:
            self._time_ms = np.concatenate([self._time_ms, np.zeros_like(self._time_ms)])
            self._ohlcv = np.concatenate([self._ohlcv, np.zeros_like(self._ohlcv)])
        self._time_ms[self._n] = time_ms
        self._ohlcv[self._n] = (open_px, high_px, low_px, close_px, volume_base)
        self._n += 1

    def last_close(self) -> float:
        return float(self._ohlcv[self._n - 1, 3])

    def last_bar_range(self) -> tuple[float, float, float]:
        """(open, high, low) of the newest bar."""
        o, h, l, _, _ = self._ohlcv[self._n - 1]
        return float(o), float(h), float(l)

    def last_open_ms(self) -> int:
        return int(self._time_ms[self._n - 1])

    def closes_between(self, start_ms: int, end_ms: int) -> np.ndarray:
        """Closes of the bars that opened in [start_ms, end_ms), oldest first (a view)."""
        times = self._time_ms[: self._n]
        lo, hi = np.searchsorted(times, start_ms), np.searchsorted(times, end_ms)
        return self._ohlcv[lo:hi, 3]

    def first_open(self) -> float:
        return float(self._ohlcv[0, 0])

    def volume_between(self, start_ms: int, end_ms: int) -> tuple[float, float]:
        """(base volume, notional volume at each bar's close) of bars opened in [start_ms, end_ms)."""
        times = self._time_ms[: self._n]
        lo, hi = np.searchsorted(times, start_ms), np.searchsorted(times, end_ms)
        bars = self._ohlcv[lo:hi]
        return float(bars[:, 4].sum()), float((bars[:, 4] * bars[:, 3]).sum())

    def close_at_or_before(self, time_ms: int) -> float | None:
        i = int(np.searchsorted(self._time_ms[: self._n], time_ms, side="right")) - 1
        return float(self._ohlcv[i, 3]) if i >= 0 else None

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int,
                kept: int | None = MAX_CANDLES, sz_decimals: int = 0,
                deep: list[tuple[int, np.ndarray, np.ndarray]] | None = None) -> list[dict]:
        """Candles overlapping [start_ms, end_ms] among the `kept` newest (None: all), in HL's shape;
        never more than MAX_CANDLES, the newest of the window when it holds more.

        `deep` is older, coarser history (bar minutes, open times, OHLCV rows), oldest first and
        ending where these minute bars begin; a tier is used when its bar size divides the interval.
        """
        minutes = INTERVAL_MINUTES[interval]
        step_ms = minutes * MS_PER_MINUTE
        times = self._time_ms[: self._n]
        if self._n == 0 or end_ms < start_ms:
            return []
        newest_bucket = int(times[-1]) // step_ms
        last_bucket = min(int(end_ms) // step_ms, newest_bucket)
        first_bucket = max(int(start_ms) // step_ms, last_bucket - MAX_CANDLES + 1)
        if kept is not None:
            first_bucket = max(first_bucket, newest_bucket - kept + 1)
        window = (first_bucket * step_ms, (last_bucket + 1) * step_ms)
        segments = [(m, t, b) for m, t, b in (deep or []) if minutes % m == 0] + [(1, times, self._ohlcv[: self._n])]
        parts_t, parts_b, parts_m = [], [], []
        for bar_minutes, seg_t, seg_b in segments:
            lo, hi = int(np.searchsorted(seg_t, window[0])), int(np.searchsorted(seg_t, window[1]))
            if hi > lo:
                parts_t.append(seg_t[lo:hi])
                parts_b.append(seg_b[lo:hi])
                parts_m.append(np.full(hi - lo, bar_minutes, dtype=np.int64))
        if not parts_t:
            return []
        t, bars, bar_minutes_arr = np.concatenate(parts_t), np.concatenate(parts_b), np.concatenate(parts_m)
        bucket = t // step_ms
        starts = np.concatenate(([0], np.flatnonzero(np.diff(bucket)) + 1))
        ends = np.concatenate((starts[1:], [len(t)]))
        highs = np.maximum.reduceat(bars[:, 1], starts)
        lows = np.minimum.reduceat(bars[:, 2], starts)
        vols = np.add.reduceat(bars[:, 4], starts)
        trades = np.add.reduceat(bar_minutes_arr, starts) * TRADES_PER_MINUTE
        out = []
        for k, (s, e) in enumerate(zip(starts, ends)):
            open_ms = int(bucket[s]) * step_ms
            out.append({"t": open_ms, "T": open_ms + step_ms - 1, "s": coin, "i": interval,
                        "o": px_str(bars[s, 0], sz_decimals), "c": px_str(bars[e - 1, 3], sz_decimals),
                        "h": px_str(highs[k], sz_decimals), "l": px_str(lows[k], sz_decimals),
                        "v": sz_str(vols[k], sz_decimals), "n": int(trades[k])})
        return out
