"""The prices a replay runs on: the CSV bars as the venue would print them.

Why: the paper exchange serves every price on the venue's tick (5 significant figures, at most
6 - szDecimals decimals) and fills on it, while a kernel fed the raw CSV floats computes equity,
drawdown and stop levels from prices no venue ever shows. Comparing the two then measures
rounding, not the policy (random genome 2 once halved BCH a bar early because the drawdown on
5-figure prices crossed REDUCING one bar before the drawdown on raw ones). So the replay rounds
the bars once, here, with the gateway's own rounding rule, and hands the same rounded bars to the
kernel and to the paper exchange.
"""
from __future__ import annotations

import math

import numpy as np

from core.exchange.ticks import round_price
from core.market.ohlcv import OHLCV

MAX_SZ_DECIMALS = 6  # Hyperliquid perps: 6 - szDecimals price decimals, so szDecimals <= 6


def sz_decimals_for(median_px: float) -> int:
    """Size decimals that keep both size and price rounding near 1e-4 for ~$1000 orders
    (Hyperliquid allows 6 - szDecimals price decimals)."""
    return int(min(MAX_SZ_DECIMALS, max(0, math.ceil(1.0 + math.log10(median_px)))))


def series_sz_decimals(series: OHLCV) -> int:
    """The replay's szDecimals of one coin, from the median close of its whole file."""
    return sz_decimals_for(float(np.nanmedian(series.close)))


def _on_tick(prices: np.ndarray, sz_decimals: int) -> np.ndarray:
    return np.array([round_price(float(px), sz_decimals) if px == px else px for px in prices], dtype=np.float64)


def venue_rounded(series: OHLCV, sz_decimals: int) -> OHLCV:
    """`series` with open, high, low and close on the venue's tick (volume and times unchanged).
    Rounding to the nearest tick is monotone below 10^5 (above, the gateway keeps integer prices
    as they are), so the bars stay well-formed: low <= open, close <= high."""
    return OHLCV(series.name, series.time_ns, _on_tick(series.open, sz_decimals),
                 _on_tick(series.high, sz_decimals), _on_tick(series.low, sz_decimals),
                 _on_tick(series.close, sz_decimals), series.volume)
