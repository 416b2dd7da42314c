"""`/info` replies in Hyperliquid's exact shapes (HYPERLIQUID.md section 9): numbers as strings."""
from __future__ import annotations

from core.exchange.paper import margin
from core.exchange.paper.ledger import Account, Holding, Ledger, PaperOrder
from core.exchange.paper.market import MarketSim
from core.exchange.paper.wire import px_str, sz_str, usd_str

BASE_REQUEST_CAP = 10_000  # every address starts with 10k action requests, +1 per $1 traded


def meta(market: MarketSim) -> dict:
    return {"universe": [{"name": c.name, "szDecimals": c.sz_decimals, "maxLeverage": c.max_leverage}
                         for c in market.coins]}


def spot_meta() -> dict:
    return {"universe": [], "tokens": []}


def all_mids(market: MarketSim) -> dict:
    return {coin: px_str(px) for coin, px in market.mids().items()}


def _cum_funding(account: Account, coin: str, h: Holding) -> dict:
    return {"allTime": usd_str(account.funding_all_time_usd.get(coin, 0.0)),
            "sinceChange": usd_str(h.funding_since_change_usd), "sinceOpen": usd_str(h.funding_since_open_usd)}


def clearinghouse_state(account: Account | None, market: MarketSim, default_leverage: int) -> dict:
    """Positions and margin of one account; liquidation prices by the venue's formula (margin.py)."""
    specs = {c.name: c for c in market.coins}
    held = list(account.positions.items()) if account else []
    marks = {coin: market.mid(coin) for coin, _ in held}
    value = margin.account_value(account, marks) if account else 0.0
    maintenance = margin.total_maintenance(account, marks, {c: s.max_leverage for c, s in specs.items()}) \
        if account else 0.0
    positions, margin_used, ntl = [], 0.0, 0.0
    for coin, h in held:
        mark, spec = marks[coin], specs[coin]
        leverage = account.leverage.get(coin, default_leverage)
        position_value = abs(h.szi) * mark
        initial = position_value / leverage
        upnl = h.szi * (mark - h.entry_px)
        liq = margin.liquidation_px(h.szi, mark, value, maintenance, spec.max_leverage)
        margin_used, ntl = margin_used + initial, ntl + position_value
        positions.append({"type": "oneWay", "position": {
            "coin": coin, "szi": sz_str(h.szi, spec.sz_decimals), "entryPx": px_str(h.entry_px),
            "leverage": {"type": "cross", "value": leverage}, "liquidationPx": None if liq is None else px_str(liq),
            "marginUsed": usd_str(initial), "maxLeverage": spec.max_leverage, "positionValue": usd_str(position_value),
            "returnOnEquity": f"{upnl / initial if initial else 0.0:.8f}", "unrealizedPnl": usd_str(upnl),
            "cumFunding": _cum_funding(account, coin, h)}})
    summary = {"accountValue": usd_str(value), "totalMarginUsed": usd_str(margin_used),
               "totalNtlPos": usd_str(ntl), "totalRawUsd": usd_str(account.raw_usd if account else 0.0)}
    return {"assetPositions": positions, "marginSummary": summary, "crossMarginSummary": dict(summary),
            "crossMaintenanceMarginUsed": usd_str(maintenance),
            "withdrawable": usd_str(max(0.0, value - margin_used)), "time": market.now_ms}


def _order_basics(o: PaperOrder, sz_decimals: int) -> dict:
    out = {"coin": o.coin, "side": "B" if o.is_buy else "A", "limitPx": px_str(o.limit_px),
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


def order_status(ledger: Ledger, market: MarketSim, user: str, oid_or_cloid: int | str) -> dict:
    order = ledger.find(user, oid_or_cloid)
    if order is None:
        return {"status": "unknownOid"}
    decimals = {c.name: c.sz_decimals for c in market.coins}[order.coin]
    trig = order.trigger
    detail = {**_order_basics(order, decimals), "cloid": order.cloid, "orderType": _order_type(order),
              "isTrigger": trig is not None, "triggerPx": px_str(trig["triggerPx"]) if trig else "0.0",
              "triggerCondition": "N/A" if trig is None else f"Price {'above' if order.is_buy == (trig['tpsl'] == 'sl') else 'below'} {px_str(trig['triggerPx'])}",
              "children": [], "isPositionTpsl": order.is_position_tpsl, "reduceOnly": order.reduce_only,
              "tif": order.tif}
    return {"status": "order", "order": {"order": detail, "status": order.status, "statusTimestamp": order.status_ms}}


def user_fills(account: Account | None) -> list[dict]:
    return list(reversed(account.fills)) if account else []


def user_rate_limit(account: Account | None) -> dict:
    volume = account.cum_volume_usd if account else 0.0
    return {"cumVlm": usd_str(volume), "nRequestsUsed": account.n_actions if account else 0,
            "nRequestsCap": BASE_REQUEST_CAP + int(volume), "nRequestsSurplus": 0}
