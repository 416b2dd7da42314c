"""Validation of incoming order wires, returning Hyperliquid's error strings.

Checks follow the documented rules: the price tick of core.exchange.ticks (5 significant figures,
6 - szDecimals decimals, integers always allowed), szDecimals for sizes, a $10 minimum order value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.exchange.models import CLOID_PATTERN
from core.exchange.paper.market import CoinSpec
from core.exchange.ticks import PERP_MAX_DECIMALS, PRICE_SIG_FIGS

MIN_ORDER_VALUE_USD = 10.0
PLAIN_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")
MAX_WIRE_NUMBER = 1e15  # no price or size on the venue comes near; "1e400" parses as a finite Decimal


class WireError(Exception):
    """An order wire is invalid; the message is the venue's per-order error text."""


@dataclass(frozen=True)
class WireOrder:
    asset: int
    coin: CoinSpec
    is_buy: bool
    limit_px: float
    sz: float
    reduce_only: bool
    tif: str | None
    trigger: dict | None
    cloid: str | None


def _decimal(text: object) -> Decimal:
    # Plain decimals only, as the SDK's float_to_wire writes them: no exponent ("1e400"), sign,
    # underscore or NaN, all of which Python's Decimal would otherwise accept.
    if not isinstance(text, str) or not PLAIN_DECIMAL.fullmatch(text):
        raise InvalidOperation
    value = Decimal(text)
    if not value.is_finite() or value <= 0 or value > MAX_WIRE_NUMBER:
        raise InvalidOperation
    return value


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


def _price_ok(value: Decimal, sz_decimals: int) -> bool:
    norm = value.normalize()
    if norm == norm.to_integral_value():
        return True
    return len(norm.as_tuple().digits) <= PRICE_SIG_FIGS and _decimals(norm) <= PERP_MAX_DECIMALS - sz_decimals


def parse_wire(raw: object, coins: tuple[CoinSpec, ...]) -> WireOrder:
    """Raise `WireError` with the per-order error text when the wire is invalid."""
    if not isinstance(raw, dict):
        raise WireError("Invalid order.")
    asset = raw.get("a")
    if isinstance(asset, bool) or not isinstance(asset, int) or not 0 <= asset < len(coins):
        raise WireError(f"Invalid asset {asset!r}.")
    spec = coins[asset]
    try:
        px, sz = _decimal(raw.get("p")), _decimal(raw.get("s"))
    except (InvalidOperation, ValueError):
        raise WireError(f"Order has invalid price or size. asset={asset}") from None
    if _decimals(sz) > spec.sz_decimals:
        raise WireError(f"Order has invalid size. asset={asset}")
    if not _price_ok(px, spec.sz_decimals):
        raise WireError(f"Price must be divisible by tick size. asset={asset}")
    order_type = raw.get("t")
    tif, trigger = None, None
    if isinstance(order_type, dict) and "limit" in order_type:
        tif = (order_type["limit"] or {}).get("tif")
        if tif not in ("Gtc", "Ioc", "Alo"):
            raise WireError(f"Invalid TIF. asset={asset}")
    elif isinstance(order_type, dict) and isinstance(order_type.get("trigger"), dict):
        t = order_type["trigger"]
        try:
            trigger_px = _decimal(t.get("triggerPx"))
        except (InvalidOperation, ValueError):
            raise WireError(f"Invalid TP/SL price. asset={asset}") from None
        if t.get("tpsl") not in ("tp", "sl") or not isinstance(t.get("isMarket"), bool):
            raise WireError(f"Invalid TP/SL price. asset={asset}")
        trigger = {"triggerPx": float(trigger_px), "isMarket": t["isMarket"], "tpsl": t["tpsl"]}
    else:
        raise WireError(f"Invalid order type. asset={asset}")
    cloid = raw.get("c")
    if cloid is not None and not (isinstance(cloid, str) and CLOID_PATTERN.match(cloid)):
        raise WireError(f"Invalid cloid. asset={asset}")
    reduce_only = raw.get("r")
    if not isinstance(reduce_only, bool) or not isinstance(raw.get("b"), bool):
        raise WireError(f"Invalid order. asset={asset}")
    if not reduce_only and float(px * sz) < MIN_ORDER_VALUE_USD:
        raise WireError(f"Order must have minimum value of ${MIN_ORDER_VALUE_USD:g}. asset={asset}")
    return WireOrder(asset, spec, raw["b"], float(px), float(sz), reduce_only, tif, trigger, cloid)
