"""Margin arithmetic of the paper exchange, Hyperliquid's formulas in one place.

Maintenance margin is half the initial margin at the asset's maximum leverage (docs "Margining":
maintenance leverage = 2 x max leverage). Cross account value = cross cash (`totalRawUsd` of
crossMarginSummary) + sum(szi x mark) over cross positions; an isolated position has its own
cash (`leverage.rawUsd`) and its value is that cash + szi x mark. The liquidation price is the
docs' formula ("Liquidations"):

    liq_px = mark - side x margin_available / |szi| / (1 - l x side)

with side = +1 long / -1 short, l = 1 / maintenance leverage, and margin_available = cross
account value - cross maintenance margin, or isolated value - its own maintenance margin. Every
caller (clearinghouseState, the liquidator, tests) uses these functions, so what is shown is
what is enforced.
"""
from __future__ import annotations

from core.exchange.paper.ledger import Account

MAINTENANCE_FRACTION_OF_INITIAL = 0.5  # maintenance = half the initial margin at max leverage


def maintenance_margin(szi: float, mark_px: float, max_leverage: int) -> float:
    return abs(szi) * mark_px * MAINTENANCE_FRACTION_OF_INITIAL / max_leverage


def cross_coins(account: Account) -> list[str]:
    return [c for c in account.positions if c not in account.isolated_raw_usd]


def cross_value(account: Account, marks: dict[str, float]) -> float:
    return account.raw_usd + sum(account.positions[c].szi * marks[c] for c in cross_coins(account))


def isolated_value(account: Account, coin: str, marks: dict[str, float]) -> float:
    return account.isolated_raw_usd[coin] + account.positions[coin].szi * marks[coin]


def account_value(account: Account, marks: dict[str, float]) -> float:
    """Everything the account is worth: cross value plus every isolated position's value."""
    return cross_value(account, marks) + sum(isolated_value(account, c, marks) for c in account.isolated_raw_usd)


def total_maintenance(account: Account, marks: dict[str, float], max_leverage: dict[str, int]) -> float:
    """Maintenance margin of the cross positions (what the cross account value is held against)."""
    return sum(maintenance_margin(account.positions[c].szi, marks[c], max_leverage[c]) for c in cross_coins(account))


def liquidation_px(szi: float, mark_px: float, value_usd: float, maintenance_usd: float,
                   max_leverage: int) -> float | None:
    """The venue's liquidation price of one position; None when no positive price reaches it."""
    if szi == 0:
        return None
    side = 1.0 if szi > 0 else -1.0
    l_maint = MAINTENANCE_FRACTION_OF_INITIAL / max_leverage
    px = mark_px - side * (value_usd - maintenance_usd) / abs(szi) / (1.0 - l_maint * side)
    return px if px > 0 else None
