"""`/info` replies in Hyperliquid's exact shapes (HYPERLIQUID.md section 9): numbers as strings."""
from __future__ import annotations

from core.exchange.paper.ledger import Account, Ledger, PaperOrder
from core.exchange.paper.market import MarketSim
from core.exchange.paper.wire import px_str, sz_str, usd_str

# Maintenance margin is half the initial margin at max leverage, as on Hyperliquid.
MAINTENANCE_FRACTION_OF_MAX_LEVERAGE = 0.5
BASE_REQUEST_CAP = 10_000  # every address starts with 10k action requests, +1 per $1 traded


def meta(market: MarketSim) -> dict:
    return {"universe": [{"name": c.name, "szDecimals": c.sz_decimals, "maxLeverage": c.max_leverage}
                         for c in market.coins]}


def spot_meta() -> dict:
    return {"universe": [], "tokens": []}


def all_mids(market: MarketSim) -> dict:
    return {coin: px_str(px) for coin, px in market.mids().items()}


def _liquidation_px(szi: float, mark: float, account_value: float, other_maintenance: float,
                    max_leverage: int) -> float | None:
    """Price of this coin at which account value meets maintenance margin, others held fixed."""
    own = abs(szi) * MAINTENANCE_FRACTION_OF_MAX_LEVERAGE / max_leverage
    denominator = szi - own if szi > 0 else szi + own
    if denominator == 0:
        return None
    px = (other_maintenance - account_value + szi * mark) / denominator
    return px if px > 0 else None


def clearinghouse_state(account: Account | None, market: MarketSim, leverage: int) -> dict:
    specs = {c.name: c for c in market.coins}
    held = account.positions.items() if account else []
    marks = {coin: market.mid(coin) for coin, _ in held}
    account_value = (account.raw_usd if account else 0.0) + sum(h.szi * marks[c] for c, h in held)
    maintenance = {c: abs(h.szi) * marks[c] * MAINTENANCE_FRACTION_OF_MAX_LEVERAGE / specs[c].max_leverage
                   for c, h in held}
    positions, margin_used, ntl = [], 0.0, 0.0
    for coin, h in held:
        mark, spec = marks[coin], specs[coin]
        value = abs(h.szi) * mark
        margin = value / leverage
        upnl = h.szi * (mark - h.entry_px)
        liq = _liquidation_px(h.szi, mark, account_value, sum(maintenance.values()) - maintenance[coin],
                              spec.max_leverage)
        margin_used, ntl = margin_used + margin, ntl + value
        positions.append({"type": "oneWay", "position": {
            "coin": coin, "szi": sz_str(h.szi, spec.sz_decimals), "entryPx": px_str(h.entry_px),
            "leverage": {"type": "cross", "value": leverage}, "liquidationPx": None if liq is None else px_str(liq),
            "marginUsed": usd_str(margin), "maxLeverage": spec.max_leverage, "positionValue": usd_str(value),
            "returnOnEquity": f"{upnl / margin if margin else 0.0:.8f}", "unrealizedPnl": usd_str(upnl),
            "cumFunding": {"allTime": "0.0", "sinceChange": "0.0", "sinceOpen": "0.0"}}})
    summary = {"accountValue": usd_str(account_value), "totalMarginUsed": usd_str(margin_used),
               "totalNtlPos": usd_str(ntl), "totalRawUsd": usd_str(account.raw_usd if account else 0.0)}
    return {"assetPositions": positions, "marginSummary": summary, "crossMarginSummary": dict(summary),
            "crossMaintenanceMarginUsed": usd_str(sum(maintenance.values())),
            "withdrawable": usd_str(max(0.0, account_value - margin_used)), "time": market.now_ms}


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
