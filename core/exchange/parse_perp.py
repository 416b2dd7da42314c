"""Wire JSON -> models for perp risk: `metaAndAssetCtxs` (funding rates, max leverage), `meta`'s
max leverages and `userFunding` payments, checked like every reply (core/exchange/parse.py)."""
from __future__ import annotations

from typing import Any

from core.exchange.errors import MalformedReply
from core.exchange.models import AssetContext, FundingPayment
from core.exchange.parse import _field, check_not_error, integer, number, price


def parse_asset_contexts(raw: Any) -> dict[str, AssetContext]:
    """`metaAndAssetCtxs` = `[meta, [ctx per universe entry, same order]]` -> coin -> context."""
    where = "metaAndAssetCtxs"
    check_not_error(raw, where)
    if not (isinstance(raw, list) and len(raw) == 2 and isinstance(raw[1], list)):
        raise MalformedReply(f"{where}: expected [meta, [asset contexts]]")
    universe = _field(raw[0], "universe", where)
    if not isinstance(universe, list) or len(universe) != len(raw[1]):
        raise MalformedReply(f"{where}: {len(raw[1])} contexts for a universe of "
                             f"{len(universe) if isinstance(universe, list) else '?'}")
    out = {}
    for asset, ctx in zip(universe, raw[1]):
        coin = str(_field(asset, "name", f"{where}.universe"))
        w = f"{where}[{coin}]"
        out[coin] = AssetContext(
            coin=coin, funding_rate_hourly=number(_field(ctx, "funding", w), f"{w}.funding"),
            mark_px=None if ctx.get("markPx") is None else price(ctx["markPx"], f"{w}.markPx"),
            oracle_px=None if ctx.get("oraclePx") is None else price(ctx["oraclePx"], f"{w}.oraclePx"),
            open_interest=number(ctx.get("openInterest", "0.0"), f"{w}.openInterest"),
            max_leverage=None if asset.get("maxLeverage") is None else number(asset["maxLeverage"], f"{w}.maxLeverage"))
    return out


def parse_max_leverages(raw: Any) -> dict[str, float]:
    """`meta` -> coin -> maxLeverage (entries without one are left out)."""
    check_not_error(raw, "meta")
    universe = _field(raw, "universe", "meta")
    if not isinstance(universe, list):
        raise MalformedReply("meta.universe: expected a list")
    return {str(_field(a, "name", "meta.universe")): price(a["maxLeverage"], f"meta[{a['name']}].maxLeverage")
            for a in universe if isinstance(a, dict) and a.get("maxLeverage") is not None}


def parse_user_funding(raw: Any) -> list[FundingPayment]:
    """`userFunding`: `[{"delta": {"coin", "fundingRate", "szi", "type": "funding", "usdc"}, "hash", "time"}]`."""
    where = "userFunding"
    check_not_error(raw, where)
    if not isinstance(raw, list):
        raise MalformedReply(f"{where}: expected a list")
    out = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        delta = _field(item, "delta", w)
        if delta.get("type", "funding") != "funding":
            continue  # the venue may list other ledger deltas; only funding payments count here
        out.append(FundingPayment(coin=str(_field(delta, "coin", w)), time_ms=integer(_field(item, "time", w), f"{w}.time"),
                                  usdc=number(_field(delta, "usdc", w), f"{w}.usdc"),
                                  size=number(delta.get("szi", "0.0"), f"{w}.szi"),
                                  funding_rate=number(_field(delta, "fundingRate", w), f"{w}.fundingRate")))
    return out
