"""Cross-margin arithmetic of the paper exchange, Hyperliquid's formulas in one place.

Maintenance margin is half the initial margin at the asset's maximum leverage (docs "Margining":
maintenance leverage = 2 x max leverage). Account value = cash (`totalRawUsd`) + sum(szi x mark).
The liquidation price is the docs' formula ("Liquidations"):

    liq_px = mark - side x margin_available / |szi| / (1 - l x side)

with side = +1 long / -1 short, l = 1 / maintenance leverage, and margin_available =
account value - total maintenance margin (cross). Every caller (clearinghouseState, the
liquidator, tests) uses these functions, so what is shown is what is enforced.
"""
from __future__ import annotations

from core.exchange.paper.ledger import Account

MAINTENANCE_FRACTION_OF_INITIAL = 0.5  # maintenance = half the initial margin at max leverage


def maintenance_margin(szi: float, mark_px: float, max_leverage: int) -> float:
    return abs(szi) * mark_px * MAINTENANCE_FRACTION_OF_INITIAL / max_leverage


def account_value(account: Account, marks: dict[str, float]) -> float:
    return account.raw_usd + sum(h.szi * marks[coin] for coin, h in account.positions.items())


def total_maintenance(account: Account, marks: dict[str, float], max_leverage: dict[str, int]) -> float:
    return sum(maintenance_margin(h.szi, marks[c], max_leverage[c]) for c, h in account.positions.items())


def liquidation_px(szi: float, mark_px: float, value_usd: float, maintenance_usd: float,
                   max_leverage: int) -> float | None:
    """The venue's liquidation price of one cross position; None when no positive price reaches it."""
    if szi == 0:
        return None
    side = 1.0 if szi > 0 else -1.0
    l_maint = MAINTENANCE_FRACTION_OF_INITIAL / max_leverage
    px = mark_px - side * (value_usd - maintenance_usd) / abs(szi) / (1.0 - l_maint * side)
    return px if px > 0 else None
