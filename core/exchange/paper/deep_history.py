"""Synthetic history before the minute bars, so every interval has its latest 5000 candles at start-up.

Hyperliquid serves the newest 5000 candles of every interval. Minute bars for 5000 x 1M would be
216 million rows, so older history is kept coarser, in tiers that end where the next finer one
begins (each tier's last close is the next tier's first open, so the series is continuous):

    1d bars back to the Unix epoch | 1h bars for 5000 x 12h | 15m bars for 5000 x 1h | minute bars

An interval is aggregated from the tiers whose bar size divides it (1h from 1h, 15m and 1m bars;
5m from 1m bars only), and each tier reaches back far enough for the intervals it serves. Prices
follow a seeded, correlated random walk with slow mean reversion in log price (half-life about
ten years), so decades of synthetic history stay within a plausible range of today's price.
Before 1970 there is nothing: 1w and 1M therefore have fewer than 5000 candles (about 2900 and
680), as the real venue has fewer still.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MS_PER_MINUTE = 60_000
MAX_CANDLES = 5000
MINUTE_VOL = 0.0005  # the live market's typical move per minute (market.MINUTE_RETURN_SCALE)
REVERSION_PER_DAY = 0.00018  # keeps the stationary spread of log price near 1 (e^+-1 of today)
COMMON_FACTOR_SHARE = 0.6  # correlation of the coins' history moves, like the live market's
WICK_SCALE = 0.5
BASE_VOLUME_USD_PER_MINUTE = 2e6
# (bar minutes, the longest interval the tier serves: it reaches back 5000 of those)
TIERS = ((15, 60), (60, 720), (1440, None))
FIRST_MINUTE_ALIGNMENT = 15  # the 15m bars end on a 15-minute boundary at or before the first minute bar


@dataclass(frozen=True)
class Tier:
    """Bars of one size for every coin: times (ms, shared) and per coin an (n, 5) OHLCV array."""

    bar_minutes: int
    time_ms: np.ndarray
    ohlcv: dict[str, np.ndarray]


def _walk(rng: np.random.Generator, n_bars: int, bar_minutes: int, coins: list[str]) -> dict[str, np.ndarray]:
    """Log-price deviations from the tier's last close, (n_bars + 1,) per coin, 0 at the end."""
    sigma = MINUTE_VOL * np.sqrt(bar_minutes)
    phi = np.exp(-REVERSION_PER_DAY * bar_minutes / 1440)
    common = rng.standard_normal(n_bars)
    steps = np.arange(1, n_bars + 1)
    out = {}
    for coin in coins:
        shocks = np.sqrt(COMMON_FACTOR_SHARE) * common + np.sqrt(1 - COMMON_FACTOR_SHARE) * rng.standard_normal(n_bars)
        # Backwards AR(1): d[t] = phi d[t-1] + sigma e[t], t counted from the end; closed form,
        # stable because phi^-n stays small (phi^n > e^-4 for every tier).
        d = phi ** steps * np.cumsum(phi ** -steps * sigma * shocks)
        out[coin] = np.concatenate(([0.0], d))[::-1]  # oldest first, 0 at the tier's end
    return out


def _tier(rng: np.random.Generator, end_ms: int, start_ms: int, bar_minutes: int,
          end_px: dict[str, float]) -> Tier:
    step_ms = bar_minutes * MS_PER_MINUTE
    n_bars = max(0, (end_ms - start_ms) // step_ms)
    times = end_ms - step_ms * np.arange(n_bars, 0, -1, dtype=np.int64)
    walks = _walk(rng, n_bars, bar_minutes, list(end_px))
    ohlcv = {}
    for coin, d in walks.items():
        path = end_px[coin] * np.exp(d)
        o, c = path[:-1], path[1:]
        wick = WICK_SCALE * MINUTE_VOL * np.sqrt(bar_minutes)
        h = np.maximum(o, c) * np.exp(np.abs(rng.standard_normal(n_bars)) * wick)
        lo = np.minimum(o, c) * np.exp(-np.abs(rng.standard_normal(n_bars)) * wick)
        v = np.abs(rng.normal(1.0, 0.3, n_bars)) * BASE_VOLUME_USD_PER_MINUTE * bar_minutes / c
        ohlcv[coin] = np.column_stack([o, h, lo, c, v])
    return Tier(bar_minutes, times, ohlcv)


def build(seed: int, first_minute_ms: int, first_open: dict[str, float]) -> list[Tier]:
    """Tiers, oldest first, ending at the 15-minute boundary at or before `first_minute_ms` at
    `first_open` (a gap of under 15 minutes in time, none in price, when it is not on one)."""
    rng = np.random.default_rng([seed, 5000])
    tiers: list[Tier] = []
    align_ms = FIRST_MINUTE_ALIGNMENT * MS_PER_MINUTE
    end_ms, end_px = first_minute_ms // align_ms * align_ms, dict(first_open)
    for i, (bar_minutes, serves_minutes) in enumerate(TIERS):
        if serves_minutes is None:
            start_ms = 0  # the epoch: daily bars as far back as timestamps go
        else:
            align_ms = TIERS[i + 1][0] * MS_PER_MINUTE  # start where the next coarser tier's bars end
            start_ms = (end_ms - MAX_CANDLES * serves_minutes * MS_PER_MINUTE) // align_ms * align_ms
        start_ms = max(0, start_ms)
        tier = _tier(rng, end_ms, start_ms, bar_minutes, end_px)
        if tier.time_ms.shape[0] == 0:
            break
        tiers.append(tier)
        end_ms = int(tier.time_ms[0])
        end_px = {coin: float(bars[0, 0]) for coin, bars in tier.ohlcv.items()}
    return tiers[::-1]
