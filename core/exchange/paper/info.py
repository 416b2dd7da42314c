"""`/info`: dispatch a read request to its view. Returns (reply, items) for the weight count."""
from __future__ import annotations

from typing import Any

from core.exchange.paper import views
from core.exchange.paper.bars import INTERVAL_MINUTES, MAX_CANDLES
from core.exchange.paper.book import BookSettings, level_prices
from core.exchange.paper.ledger import Ledger
from core.exchange.paper.market import MarketSim
from core.exchange.paper.wire import px_str


class BadRequest(Exception):
    """The request does not deserialize (Hyperliquid answers HTTP 422)."""


def _user(body: dict) -> str:
    user = body.get("user")
    if not isinstance(user, str) or not user.startswith("0x") or len(user) != 42:
        raise BadRequest("user must be a 42-character 0x address")
    return user.lower()


def _candles(body: dict, market: MarketSim, wall_now_ms: int, kept: int | None) -> list[dict]:
    req = body.get("req")
    if not isinstance(req, dict) or req.get("interval") not in INTERVAL_MINUTES:
        raise BadRequest("candleSnapshot needs req with coin, interval, startTime, endTime")
    coin, start, end = req.get("coin"), req.get("startTime"), req.get("endTime")
    if coin not in market.mids() or not isinstance(start, int) or not isinstance(end, int):
        raise BadRequest("candleSnapshot: unknown coin or non-integer times")
    # Simulated time may run ahead of the wall clock; "until the real present" means "until now".
    if end >= wall_now_ms:
        end = max(end, market.now_ms)
    return market.series(coin).candles(coin, req["interval"], start, end, kept)


def _l2_book(body: dict, market: MarketSim, book: BookSettings) -> dict:
    coin = body.get("coin")
    if coin not in market.mids():
        raise BadRequest("l2Book: unknown coin")
    mid = market.mid(coin)
    sides = [[{"px": px_str(px), "sz": f"{book.depth_usd_per_level / px:.6g}", "n": 1}
              for px in level_prices(mid, is_buy, book)] for is_buy in (False, True)]
    return {"coin": coin, "time": market.now_ms, "levels": sides}


def answer(body: Any, ledger: Ledger, market: MarketSim, book: BookSettings, leverage: int,
           wall_now_ms: int, candles_kept: int | None = MAX_CANDLES) -> tuple[Any, int]:
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    kind = body.get("type")
    if kind == "meta":
        return views.meta(market), 0
    if kind == "spotMeta":
        return views.spot_meta(), 0
    if kind == "allMids":
        return views.all_mids(market), 0
    if kind == "l2Book":
        return _l2_book(body, market, book), 0
    if kind == "candleSnapshot":
        candles = _candles(body, market, wall_now_ms, candles_kept)
        return candles, len(candles)
    if kind in ("clearinghouseState", "openOrders", "frontendOpenOrders", "userFills", "userRateLimit", "orderStatus"):
        user = _user(body)
        account = ledger.accounts.get(user)
        if kind == "clearinghouseState":
            return views.clearinghouse_state(account, market, leverage), 0
        if kind == "userFills":
            fills = views.user_fills(account)
            return fills, len(fills)
        if kind == "userRateLimit":
            return views.user_rate_limit(account), 0
        if kind == "orderStatus":
            oid = body.get("oid")
            if isinstance(oid, bool) or not isinstance(oid, (int, str)):
                raise BadRequest("orderStatus needs an integer oid or a 0x cloid")
            return views.order_status(ledger, market, user, oid), 0
        return views.open_orders(ledger, market, user), 0
    raise BadRequest(f"unknown info type {kind!r}")
