"""A simulated order book around the mid: fixed depth per level, refreshed every request.

Depth is not consumed across orders (each order sees a fresh book). That is enough to
exercise partial fills and non-marketable IOCs without modelling other traders.
"""
from __future__ import annotations

from dataclasses import dataclass

BPS = 1e-4


@dataclass(frozen=True)
class BookSettings:
    half_spread_bps: float = 1.0  # best bid/ask distance from the mid
    level_step_bps: float = 5.0  # distance between successive levels
    levels: int = 20
    depth_usd_per_level: float = 250_000.0


def level_prices(mid_px: float, is_buy: bool, book: BookSettings) -> list[float]:
    """Prices a taker walks through: asks upward for a buy, bids downward for a sell."""
    sign = 1.0 if is_buy else -1.0
    return [mid_px * (1 + sign * (book.half_spread_bps + k * book.level_step_bps) * BPS) for k in range(book.levels)]


def best_bid_ask(mid_px: float, book: BookSettings) -> tuple[float, float]:
    return level_prices(mid_px, False, book)[0], level_prices(mid_px, True, book)[0]


def sweep(mid_px: float, is_buy: bool, size: float, limit_px: float, book: BookSettings) -> tuple[float, float]:
    """Take up to `size` at prices no worse than `limit_px`; returns (filled size, avg price)."""
    filled, cost = 0.0, 0.0
    for px in level_prices(mid_px, is_buy, book):
        if (is_buy and px > limit_px) or (not is_buy and px < limit_px) or filled >= size:
            break
        take = min(size - filled, book.depth_usd_per_level / px)
        filled += take
        cost += take * px
    return filled, (cost / filled if filled else 0.0)
