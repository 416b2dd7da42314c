"""Number strings in the venue's style: every number a decimal string with a point, never padded.

Measured on the SDK's cassettes (HYPERLIQUID.md section 11): "26951.0", "0.00785", "1182.312496";
never "27505" nor "0.000000". Prices are on the venue's tick (core.exchange.ticks, the rule the
gateway rounds with too), so any price we print is one our own order check accepts.
"""
from __future__ import annotations

import math

from core.exchange.ticks import price_decimals, round_price

USD_DECIMALS = 6  # "1182.312496"
RATE_DECIMALS = 8  # funding rates, premiums, returnOnEquity: "-0.00061334"


def num_str(value: float, decimals: int) -> str:
    """`value` rounded to `decimals`, trailing zeros trimmed, at least one decimal: "3.0", "0.5"."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0")
    text = text + "0" if text.endswith(".") else (text if "." in text else text + ".0")
    return "0.0" if text == "-0.0" else text


def px_str(px: float, sz_decimals: int) -> str:
    """A price on the venue's tick: "65012.0", "3201.4", "0.60123"."""
    rounded = round_price(px, sz_decimals)
    return num_str(rounded, price_decimals(rounded, sz_decimals))


def usd_str(usd: float) -> str:
    return num_str(usd, USD_DECIMALS)


def sz_str(size: float, sz_decimals: int) -> str:
    return num_str(size, sz_decimals)


def rate_str(rate: float) -> str:
    return num_str(rate, RATE_DECIMALS)


AVG_PX_SIG_FIGS = 10  # averages (entryPx, avgPx, liquidationPx) are not on tick: "26951.23456"


def avg_px_str(px: float) -> str:
    """An average or derived price: 10 significant figures, trimmed ("173198.6959", "0.6012345")."""
    if px <= 0 or not math.isfinite(px):
        return "0.0"
    return num_str(px, max(1, AVG_PX_SIG_FIGS - 1 - math.floor(math.log10(px))))
