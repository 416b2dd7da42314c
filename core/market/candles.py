"""Exchange candles as plain rows: interval lengths, validation and conversion to OHLCV.

A candle row is `(open_ms, open, high, low, close, volume)`, the shape the candles table stores.
Rows pass the same rules as CSV rows (core.market.loader.bar_problems), so a series built from
the exchange is exactly as trustworthy as one read from a file.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.errors import BadInputError
from core.market.loader import BAR_COLUMNS, MAX_PROBLEMS_PER_FILE, bar_problems
from core.market.ohlcv import OHLCV

CandleRow = tuple[int, float, float, float, float, float]  # open_ms, open, high, low, close, volume
MS_PER_MINUTE = 60_000
NS_PER_MS = 1_000_000
# Hyperliquid's candleSnapshot intervals (HYPERLIQUID.md section 8); 1M is taken as 30 days,
# which is only used for page sizes and gap counts.
INTERVAL_MS: dict[str, int] = {name: minutes * MS_PER_MINUTE for name, minutes in (
    ("1m", 1), ("3m", 3), ("5m", 5), ("15m", 15), ("30m", 30), ("1h", 60), ("2h", 120), ("4h", 240),
    ("8h", 480), ("12h", 720), ("1d", 1440), ("3d", 4320), ("1w", 10080), ("1M", 43200))}


def interval_ms(interval: str) -> int:
    try:
        return INTERVAL_MS[interval]
    except KeyError:
        raise BadInputError(f"unknown candle interval {interval!r}; expected one of {', '.join(INTERVAL_MS)}") from None


def candle_time_text(open_ms: int) -> str:
    """A candle's open time as `YYYY-MM-DD HH:MM` UTC, midnight included.

    One format for every candle message: a daily-looking date for the 00:00 candle of an hourly
    series made lines of one command read differently depending on the hour they started at.
    """
    return str(np.datetime64(int(open_ms), "ms").astype("datetime64[m]")).replace("T", " ")


def candle_problems(coin: str, interval: str, rows: Sequence[CandleRow], after_ms: int | None = None) -> list[str]:
    """Every bad row as `COIN INTERVAL TIME: what` (at most MAX_PROBLEMS_PER_FILE, then a note).

    `after_ms` is the newest candle already stored: a row at or before it would mean the venue
    sent history out of order.
    """
    problems: list[str] = []
    prev_ns = None if after_ms is None else int(after_ms) * NS_PER_MS
    for row in rows:
        if len(problems) >= MAX_PROBLEMS_PER_FILE:
            problems.append(f"{coin} {interval}: further problems not listed")
            break
        t_ns = int(row[0]) * NS_PER_MS
        when = candle_time_text(row[0])
        what = bar_problems(t_ns, prev_ns, dict(zip(BAR_COLUMNS, row[1:])), when)
        problems.extend(f"{coin} {interval} {when}: {w}" for w in what)
        if not what:
            prev_ns = t_ns
    return problems


def missing_candles(first_ms: int, last_ms: int, rows: int, interval: str) -> int:
    """Candles absent between the first and last cached one (0 for a complete series)."""
    step = INTERVAL_MS.get(interval)
    if not step or rows < 2:
        return 0
    return max(0, (int(last_ms) - int(first_ms)) // step + 1 - int(rows))


def series_from_rows(name: str, rows: Sequence[CandleRow]) -> OHLCV:
    """An OHLCV series from cached rows (already validated when they were written)."""
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    return OHLCV(name=name, time_ns=np.asarray([int(r[0]) for r in rows], dtype=np.int64) * NS_PER_MS,
                 open=arr[:, 1].copy(), high=arr[:, 2].copy(), low=arr[:, 3].copy(), close=arr[:, 4].copy(),
                 volume=arr[:, 5].copy())
