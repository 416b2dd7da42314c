"""Hyperliquid's price tick for perps: the one rounding rule of every price we send or quote.

Why one module: the gateway rounds the prices it signs and the paper exchange rounds the prices
it quotes and checks the ones it receives; if the two sides used different rules a price one
side made could be refused by the other. The rule (HYPERLIQUID.md section 5): at most 5
significant figures and at most 6 - szDecimals decimals; integer prices are always allowed.
"""
from __future__ import annotations

import math

PRICE_SIG_FIGS = 5
PERP_MAX_DECIMALS = 6


def price_decimals(px: float, sz_decimals: int) -> int:
    """Decimals a price may carry: 5 significant figures, at most 6 - szDecimals, 0 from 10^4 up."""
    if px <= 0 or not math.isfinite(px):
        return 0
    sig_decimals = PRICE_SIG_FIGS - 1 - math.floor(math.log10(px))
    return max(0, min(sig_decimals, PERP_MAX_DECIMALS - sz_decimals))


def round_price(px: float, sz_decimals: int, direction: int = 0) -> float:
    """The nearest valid price (direction -1: the nearest at or below, +1: at or above).

    The backtest kernel compiles this function itself (core/backtest/books_nb.py, venue-tick
    execution), so it calls no other Python function: price_decimals is written inline.
    """
    decimals = 0
    if px > 0 and math.isfinite(px):
        decimals = max(0, min(PRICE_SIG_FIGS - 1 - math.floor(math.log10(px)), PERP_MAX_DECIMALS - sz_decimals))
    scale = 10.0 ** decimals
    if direction < 0:
        return math.floor(px * scale + 1e-9) / scale
    if direction > 0:
        return math.ceil(px * scale - 1e-9) / scale
    return round(px, decimals)
