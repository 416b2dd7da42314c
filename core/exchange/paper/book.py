"""A simulated order book around the mid: fixed depth per level, refreshed every request.

Depth is not consumed across orders (each order sees a fresh book). That is enough to
exercise partial fills and non-marketable IOCs without modelling other traders.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.exchange.ticks import round_price

BPS = 1e-4


@dataclass(frozen=True)
class BookSettings:
    half_spread_bps: float = 1.0  # best bid/ask distance from the mid
    level_step_bps: float = 5.0  # distance between successive levels
    levels: int = 20
    depth_usd_per_level: float = 250_000.0


def level_prices(mid_px: float, is_buy: bool, book: BookSettings, sz_decimals: int) -> list[float]:
    """Prices a taker walks through: asks upward for a buy, bids downward for a sell.

    Each level sits on the venue's tick (asks rounded up, bids down), so every book price is a
    price an order may carry and every fill price is one the venue could print.
    """
    sign = 1.0 if is_buy else -1.0
    direction = 1 if is_buy else -1
    return [round_price(mid_px * (1 + sign * (book.half_spread_bps + k * book.level_step_bps) * BPS), sz_decimals,
                     direction) for k in range(book.levels)]


def best_bid_ask(mid_px: float, book: BookSettings, sz_decimals: int) -> tuple[float, float]:
    return level_prices(mid_px, False, book, sz_decimals)[0], level_prices(mid_px, True, book, sz_decimals)[0]


def market_limit_px(mark_px: float, is_buy: bool, slippage: float) -> float:
    """The limit price of a market order allowed to fill up to `slippage` (a fraction) from the mark."""
    return mark_px * (1 + slippage if is_buy else 1 - slippage)


def sweep_levels(mid_px: float, is_buy: bool, size: float, limit_px: float, book: BookSettings,
                 sz_decimals: int) -> list[tuple[float, float]]:
    """Take up to `size` at prices no worse than `limit_px`: one (price, size) per level touched,
    sizes on the coin's size decimals (one fill per level, as the venue reports them)."""
    out: list[tuple[float, float]] = []
    remaining = round(size, sz_decimals)
    unit = 10.0 ** -sz_decimals
    for px in level_prices(mid_px, is_buy, book, sz_decimals):
        if (is_buy and px > limit_px) or (not is_buy and px < limit_px) or remaining < unit / 2:
            break
        depth = math.floor(book.depth_usd_per_level / px / unit) * unit
        take = round(min(remaining, depth), sz_decimals)
        if take <= 0:
            break
        out.append((px, take))
        remaining = round(remaining - take, sz_decimals)
    return out


def sweep(mid_px: float, is_buy: bool, size: float, limit_px: float, book: BookSettings,
          sz_decimals: int) -> tuple[float, float]:
    """(filled size, average price) of `sweep_levels`."""
    levels = sweep_levels(mid_px, is_buy, size, limit_px, book, sz_decimals)
    filled = sum(sz for _, sz in levels)
    return filled, (sum(px * sz for px, sz in levels) / filled if filled else 0.0)
