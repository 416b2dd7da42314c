"""`/info`: dispatch a read request to its view. Returns (reply, items) for the weight count."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.exchange.paper import perp_views, views
from core.exchange.paper.bars import INTERVAL_MINUTES, MAX_CANDLES
from core.exchange.paper.book import BookSettings, level_prices
from core.exchange.paper.funding import FundingBook
from core.exchange.paper.ledger import Ledger
from core.exchange.paper.market import MarketSim
from core.exchange.paper.request_check import is_int
from core.exchange.paper.wire import px_str


class BadRequest(Exception):
    """The request does not deserialize (Hyperliquid answers HTTP 422)."""


@dataclass(frozen=True)
class Venue:
    """Everything a read may look at; built per request under the exchange lock."""

    ledger: Ledger
    market: MarketSim
    book: BookSettings
    funding: FundingBook
    leverage: int  # default cross leverage of a position
    wall_now_ms: int
    candles_kept: int | None = MAX_CANDLES


def _user(body: dict) -> str:
    user = body.get("user")
    if not isinstance(user, str) or not user.startswith("0x") or len(user) != 42:
        raise BadRequest("user must be a 42-character 0x address")
    return user.lower()


def _time(body: dict, key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if value is None and default is not None:
        return default
    if not is_int(value):
        raise BadRequest(f"{key} must be u64 milliseconds")
    return value


def _coin(body: dict, market: MarketSim, kind: str) -> str:
    coin = body.get("coin")
    if not isinstance(coin, str) or coin not in market.mids():
        raise BadRequest(f"{kind}: unknown coin")
    return coin


def _candles(body: dict, venue: Venue) -> list[dict]:
    req = body.get("req")
    market = venue.market
    if not isinstance(req, dict) or not isinstance(req.get("interval"), str) or req["interval"] not in INTERVAL_MINUTES:
        raise BadRequest("candleSnapshot needs req with coin, interval, startTime, endTime")
    coin, start, end = req.get("coin"), req.get("startTime"), req.get("endTime")
    if not isinstance(coin, str) or coin not in market.mids() or not is_int(start) or not is_int(end):
        raise BadRequest("candleSnapshot: unknown coin or times that are not u64 milliseconds")
    # Simulated time may run ahead of the wall clock; "until the real present" means "until now".
    if end >= venue.wall_now_ms:
        end = max(end, market.now_ms)
    return market.series(coin).candles(coin, req["interval"], start, end, venue.candles_kept)


def _l2_book(body: dict, venue: Venue) -> dict:
    coin = _coin(body, venue.market, "l2Book")
    mid = venue.market.mid(coin)
    sides = [[{"px": px_str(px), "sz": f"{venue.book.depth_usd_per_level / px:.6g}", "n": 1}
              for px in level_prices(mid, is_buy, venue.book)] for is_buy in (False, True)]
    return {"coin": coin, "time": venue.market.now_ms, "levels": sides}


def _account_reply(kind: str, body: dict, venue: Venue) -> tuple[Any, int]:
    user = _user(body)
    ledger, market = venue.ledger, venue.market
    account = ledger.accounts.get(user)
    if kind == "clearinghouseState":
        return views.clearinghouse_state(account, market, venue.leverage), 0
    if kind == "userFills":
        fills = views.user_fills(account)
        return fills, len(fills)
    if kind == "userFunding":
        events = perp_views.user_funding(account, _time(body, "startTime"), _time(body, "endTime", market.now_ms))
        return events, len(events)
    if kind == "userRateLimit":
        return views.user_rate_limit(account), 0
    if kind == "orderStatus":
        oid = body.get("oid")
        if not (is_int(oid) or isinstance(oid, str)):
            raise BadRequest("orderStatus needs an integer oid or a 0x cloid")
        return views.order_status(ledger, market, user, oid), 0
    return views.open_orders(ledger, market, user), 0


ACCOUNT_TYPES = ("clearinghouseState", "openOrders", "frontendOpenOrders", "userFills", "userFunding",
                 "userRateLimit", "orderStatus")


def answer(body: Any, venue: Venue) -> tuple[Any, int]:
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    kind = body.get("type")
    market = venue.market
    if kind == "meta":
        return views.meta(market), 0
    if kind == "spotMeta":
        return views.spot_meta(), 0
    if kind == "metaAndAssetCtxs":
        return perp_views.meta_and_asset_ctxs(market, venue.funding, venue.ledger, venue.book), 0
    if kind == "allMids":
        return views.all_mids(market), 0
    if kind == "l2Book":
        return _l2_book(body, venue), 0
    if kind == "candleSnapshot":
        candles = _candles(body, venue)
        return candles, len(candles)
    if kind == "fundingHistory":
        coin = _coin(body, market, "fundingHistory")
        records = perp_views.funding_history(venue.funding, coin, _time(body, "startTime"),
                                             _time(body, "endTime", market.now_ms))
        return records, len(records)
    if kind in ACCOUNT_TYPES:
        return _account_reply(kind, body, venue)
    raise BadRequest(f"unknown info type {kind!r}")
