"""The in-memory OHLCV series every engine consumes: plain numpy arrays, validated once."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class OHLCV:
    """One asset's bars. `time_ns` is bar open time (UTC, int64 ns), strictly increasing."""

    name: str
    time_ns: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.close.shape[0])

    @property
    def bar_ns(self) -> int:
        """Typical bar length: the median spacing, robust against a few gaps."""
        if len(self) < 2:
            return NS_PER_DAY
        return int(np.median(np.diff(self.time_ns)))

    @property
    def periods_per_year(self) -> float:
        """Bars per year for annualising (crypto trades 365 days)."""
        return 365.0 * NS_PER_DAY / max(self.bar_ns, 1)

    def gap_bars(self) -> int:
        """Number of missing bars inferred from spacing larger than the typical bar."""
        if len(self) < 2:
            return 0
        step = self.bar_ns
        diffs = np.diff(self.time_ns)
        return int(np.sum(np.maximum(np.rint(diffs / step) - 1, 0)))

    def slice(self, start: int, stop: int) -> "OHLCV":
        return OHLCV(self.name, self.time_ns[start:stop], self.open[start:stop], self.high[start:stop],
                     self.low[start:stop], self.close[start:stop], self.volume[start:stop])

    def between(self, start: np.datetime64 | None, end: np.datetime64 | None) -> "OHLCV":
        """Bars with start <= time < end (either bound optional)."""
        lo = 0 if start is None else int(np.searchsorted(self.time_ns, np.datetime64(start, "ns").astype(np.int64)))
        hi = len(self) if end is None else int(np.searchsorted(self.time_ns, np.datetime64(end, "ns").astype(np.int64)))
        return self.slice(lo, hi)

    def fingerprint(self) -> str:
        """sha256 over the parsed arrays (not the file bytes), so formatting changes don't matter."""
        h = hashlib.sha256(self.name.encode())
        for arr in (self.time_ns, self.open, self.high, self.low, self.close, self.volume):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()


def fingerprint_many(series: list[OHLCV]) -> str:
    h = hashlib.sha256()
    for s in series:
        h.update(s.fingerprint().encode())
    return h.hexdigest()


def date_text(time_ns: int) -> str:
    """ISO text of a bar time; dates only when the time is midnight."""
    ts = np.datetime64(int(time_ns), "ns")
    if int(time_ns) % NS_PER_DAY == 0:
        return str(ts.astype("datetime64[D]"))
    return str(ts.astype("datetime64[s]")).replace("T", " ")
