"""Checks of scenario values at load: every number finite and in range, every name known.

A bad value is refused with one line naming the field, before the exchange starts; otherwise
it would load and then break every request (a NaN cash is a NaN account value forever).
"""
from __future__ import annotations

import math
from typing import Any

from core.errors import BadInputError

SIDES = ("long", "short")
MAX_CASH_USD = 1e12
MAX_NOTIONAL_USD = 1e12
MAX_ENTRY_OFFSET_PCT = 50.0
MAX_POSITIONS = 100
MAX_LEVERAGE = 100


def number_field(raw: dict, key: str, where: str, default: float | None, low: float = -math.inf,
                 high: float = math.inf) -> float:
    """raw[key] (or `default`) as a float in [low, high]; NaN, inf, text and booleans refused."""
    if key not in raw and default is None:
        raise BadInputError(f"{where}: {key} is missing")
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise BadInputError(f"{where}: {key} must be a number in [{low:g}, {high:g}], got {value!r}")
    return float(value)


def _position(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: a position is an object with coin, side and notional_usd")
    coin, side = raw.get("coin"), raw.get("side")
    if not isinstance(coin, str) or not coin:
        raise BadInputError(f"{where}: coin must be a coin name, got {coin!r}")
    if side not in SIDES:
        raise BadInputError(f"{where}: side must be long or short, got {side!r}")
    out: dict[str, Any] = {
        "coin": coin, "side": side,
        "notional_usd": number_field(raw, "notional_usd", where, None, 0.0, MAX_NOTIONAL_USD),
        "entry_offset_pct": number_field(raw, "entry_offset_pct", where, 0.0, -MAX_ENTRY_OFFSET_PCT,
                                         MAX_ENTRY_OFFSET_PCT)}
    if out["notional_usd"] <= 0:
        raise BadInputError(f"{where}: notional_usd must be positive, got {raw['notional_usd']!r}")
    if "leverage" in raw:
        lev = raw["leverage"]
        if isinstance(lev, bool) or not isinstance(lev, int) or not 1 <= lev <= MAX_LEVERAGE:
            raise BadInputError(f"{where}: leverage must be an integer in [1, {MAX_LEVERAGE}], got {lev!r}")
        out["leverage"] = lev
    return out


def parse_demo_account(raw: Any, where: str) -> dict[str, Any] | None:
    """The demo account of a scenario, checked; None when the scenario has none (the default one)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadInputError(f"{where}: must be an object with cash_usd and positions")
    positions = raw.get("positions", [])
    if not isinstance(positions, list) or len(positions) > MAX_POSITIONS:
        raise BadInputError(f"{where}: positions must be a list of at most {MAX_POSITIONS}")
    parsed = [_position(p, f"{where}.positions[{i}]") for i, p in enumerate(positions)]
    coins = [p["coin"] for p in parsed]
    if len(set(coins)) != len(coins):
        raise BadInputError(f"{where}.positions: one position per coin, got {coins}")
    return {"cash_usd": number_field(raw, "cash_usd", where, None, 0.0, MAX_CASH_USD), "positions": parsed}
