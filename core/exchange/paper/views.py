"""`/info` replies in Hyperliquid's exact shapes (HYPERLIQUID.md section 9): numbers as strings."""
from __future__ import annotations

from core.exchange.paper import margin
from core.exchange.paper.ledger import Account, Holding, Ledger, PaperOrder
from core.exchange.paper.market import MarketSim
from core.exchange.paper.wire import avg_px_str, px_str, rate_str, sz_str, usd_str

BASE_REQUEST_CAP = 10_000  # every address starts with 10k action requests, +1 per $1 traded


def meta(market: MarketSim) -> dict:
    return {"universe": [{"name": c.name, "szDecimals": c.sz_decimals, "maxLeverage": c.max_leverage}
                         for c in market.coins]}


def spot_meta() -> dict:
    return {"universe": [], "tokens": []}


def all_mids(market: MarketSim) -> dict:
    return {coin: px_str(px, market.sz_decimals(coin)) for coin, px in market.mids().items()}


def _cum_funding(account: Account, coin: str, h: Holding) -> dict:
    return {"allTime": usd_str(account.funding_all_time_usd.get(coin, 0.0)),
            "sinceChange": usd_str(h.funding_since_change_usd), "sinceOpen": usd_str(h.funding_since_open_usd)}


def clearinghouse_state(account: Account | None, market: MarketSim, default_leverage: int) -> dict:
    """Positions and margin of one account; liquidation prices by the venue's formula (margin.py)."""
    specs = {c.name: c for c in market.coins}
    held = list(account.positions.items()) if account else []
    marks = {coin: market.mid(coin) for coin, _ in held}
    max_lev = {c: s.max_leverage for c, s in specs.items()}
    cross_val = margin.cross_value(account, marks) if account else 0.0
    cross_maint = margin.total_maintenance(account, marks, max_lev) if account else 0.0
    positions, cross_used, cross_ntl, total_used, total_ntl = [], 0.0, 0.0, 0.0, 0.0
    for coin, h in held:
        mark, spec = marks[coin], specs[coin]
        value = abs(h.szi) * mark
        lev = account.leverage.get(coin, default_leverage)
        upnl = h.szi * (mark - h.entry_px)
        if coin in account.isolated_raw_usd:
            used = margin.isolated_value(account, coin, marks)
            liq = margin.liquidation_px(h.szi, mark, used, margin.maintenance_margin(h.szi, mark, spec.max_leverage),
                                        spec.max_leverage)
            leverage = {"type": "isolated", "value": lev, "rawUsd": usd_str(account.isolated_raw_usd[coin])}
        else:
            used = value / lev
            liq = margin.liquidation_px(h.szi, mark, cross_val, cross_maint, spec.max_leverage)
            leverage = {"type": "cross", "value": lev}
            cross_used, cross_ntl = cross_used + used, cross_ntl + value
        total_used, total_ntl = total_used + used, total_ntl + value
        positions.append({"type": "oneWay", "position": {
            "coin": coin, "szi": sz_str(h.szi, spec.sz_decimals), "entryPx": avg_px_str(h.entry_px),
            "leverage": leverage, "liquidationPx": None if liq is None else avg_px_str(liq),
            "marginUsed": usd_str(used), "maxLeverage": spec.max_leverage, "positionValue": usd_str(value),
            "returnOnEquity": rate_str(upnl / (value / lev) if value else 0.0), "unrealizedPnl": usd_str(upnl),
            "cumFunding": _cum_funding(account, coin, h)}})
    raw = account.raw_usd if account else 0.0
    isolated_raw = sum(account.isolated_raw_usd.values()) if account else 0.0
    total_value = margin.account_value(account, marks) if account else 0.0
    summary = {"accountValue": usd_str(total_value), "totalMarginUsed": usd_str(total_used),
               "totalNtlPos": usd_str(total_ntl), "totalRawUsd": usd_str(raw + isolated_raw)}
    cross = {"accountValue": usd_str(cross_val), "totalMarginUsed": usd_str(cross_used),
             "totalNtlPos": usd_str(cross_ntl), "totalRawUsd": usd_str(raw)}
    return {"assetPositions": positions, "marginSummary": summary, "crossMarginSummary": cross,
            "crossMaintenanceMarginUsed": usd_str(cross_maint),
            "withdrawable": usd_str(max(0.0, cross_val - cross_used)), "time": market.time_ms}


def _order_basics(o: PaperOrder, sz_decimals: int) -> dict:
    out = {"coin": o.coin, "side": "B" if o.is_buy else "A", "limitPx": px_str(o.limit_px, sz_decimals),
           "sz": sz_str(o.sz, sz_decimals), "oid": o.oid, "timestamp": o.timestamp_ms,
           "origSz": sz_str(o.orig_sz, sz_decimals)}
    if o.cloid:
        out["cloid"] = o.cloid
    return out


def _order_type(o: PaperOrder) -> str:
    if o.trigger is None:
        return "Limit"
    kind = "Stop" if o.trigger["tpsl"] == "sl" else "Take Profit"
    return f"{kind} {'Market' if o.trigger['isMarket'] else 'Limit'}"


def open_orders(ledger: Ledger, market: MarketSim, user: str) -> list[dict]:
    decimals = {c.name: c.sz_decimals for c in market.coins}
    return [_order_basics(o, decimals[o.coin]) for o in ledger.open_orders(user)]


def order_detail(o: PaperOrder, sz_decimals: int) -> dict:
    """The full order object of frontendOpenOrders, historicalOrders and orderStatus."""
    trig = o.trigger
    rising = trig is not None and o.is_buy == (trig["tpsl"] == "sl")
    return {**_order_basics(o, sz_decimals), "cloid": o.cloid, "orderType": _order_type(o),
            "isTrigger": trig is not None, "triggerPx": px_str(trig["triggerPx"], sz_decimals) if trig else "0.0",
            "triggerCondition": "N/A" if trig is None else
            f"Price {'above' if rising else 'below'} {px_str(trig['triggerPx'], sz_decimals)}",
            "children": [], "isPositionTpsl": o.is_position_tpsl, "reduceOnly": o.reduce_only, "tif": o.tif}


def order_status(ledger: Ledger, market: MarketSim, user: str, oid_or_cloid: int | str) -> dict:
    order = ledger.find(user, oid_or_cloid)
    if order is None:
        return {"status": "unknownOid"}
    detail = order_detail(order, market.sz_decimals(order.coin))
    return {"status": "order", "order": {"order": detail, "status": order.status, "statusTimestamp": order.status_ms}}


def user_fills(account: Account | None) -> list[dict]:
    return list(reversed(account.fills)) if account else []


def user_rate_limit(account: Account | None) -> dict:
    volume = account.cum_volume_usd if account else 0.0
    return {"cumVlm": usd_str(volume), "nRequestsUsed": account.n_actions if account else 0,
            "nRequestsCap": BASE_REQUEST_CAP + int(volume), "nRequestsSurplus": 0}
