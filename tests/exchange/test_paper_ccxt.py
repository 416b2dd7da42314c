"""ccxt's hyperliquid class, a client we did not write, against the paper exchange on real time.

Nothing in ccxt is changed but its URLs: the testnet URL set points at the paper exchange and
sandbox mode is on, so ccxt signs as testnet exactly as it does against Hyperliquid's testnet.
"""
from __future__ import annotations

import time

import ccxt
import eth_account
import pytest

from core.exchange.paper import PaperSettings, WallClock
from tests.support.paper import module_paper

ETH = "ETH/USDC:USDC"
CASH_USD = 100_000.0


@pytest.fixture(scope="module")
def venue():
    # speed 1: the standalone exchange's real time, so venue and client clocks agree (fetch_my_trades(since)).
    with module_paper(PaperSettings(speed=1.0, history_minutes=24 * 60), clock=WallClock()) as paper:
        wallet = eth_account.Account.create()
        paper.open_account(wallet.address, CASH_USD)
        client = ccxt.hyperliquid({"walletAddress": wallet.address, "privateKey": wallet.key.hex(), "timeout": 10_000})
        client.urls["test"] = {"public": paper.base_url, "private": paper.base_url}
        client.set_sandbox_mode(True)
        yield paper, client


def _report(call: str, detail: str) -> None:
    print(f"ccxt {call}: ok {detail}")


def test_ccxt_market_data(venue):
    paper, client = venue
    markets = client.load_markets()
    assert {"BTC/USDC:USDC", ETH, "SOL/USDC:USDC", "XRP/USDC:USDC"} <= set(markets)
    assert markets[ETH]["swap"] and markets[ETH]["precision"]["amount"] == 0.0001
    _report("load_markets", f"{len(markets)} markets")
    ticker = client.fetch_ticker(ETH)
    assert ticker["last"] == pytest.approx(paper.mids()["ETH"], rel=1e-3)
    assert ticker["bid"] < ticker["last"] < ticker["ask"]
    tickers = client.fetch_tickers()
    assert set(tickers) >= {ETH, "BTC/USDC:USDC"}
    _report("fetch_ticker(s)", f"ETH last {ticker['last']}, {len(tickers)} tickers")
    candles = client.fetch_ohlcv(ETH, "1h", limit=10)
    assert len(candles) == 10 and [c[0] for c in candles] == sorted(c[0] for c in candles)
    assert all(c[3] <= min(c[1], c[4]) <= max(c[1], c[4]) <= c[2] for c in candles)
    _report("fetch_ohlcv", f"{len(candles)} hourly candles")
    funding = client.fetch_funding_rate(ETH)
    ctx = client.publicPostInfo({"type": "metaAndAssetCtxs"})[1][1]
    assert funding["fundingRate"] == float(ctx["funding"]) and abs(funding["fundingRate"]) <= 0.04
    _report("fetch_funding_rate", f"ETH {funding['fundingRate']}")


def test_ccxt_account_and_orders(venue):
    paper, client = venue
    client.load_markets()
    balance = client.fetch_balance()
    assert balance["USDC"]["total"] == pytest.approx(CASH_USD)
    _report("fetch_balance", f"USDC total {balance['USDC']['total']}")
    assert client.set_leverage(5, ETH)["status"] == "ok"
    _report("set_leverage", "5x ETH")
    mid = paper.mids()["ETH"]
    resting = client.create_order(ETH, "limit", "buy", 1.0, mid * 0.9)
    assert [o["id"] for o in client.fetch_open_orders(ETH)] == [resting["id"]]
    assert client.fetch_order(resting["id"], ETH)["status"] == "open"
    client.cancel_order(resting["id"], ETH)
    assert client.fetch_order(resting["id"], ETH)["status"] == "canceled"
    _report("create_order limit / fetch_open_orders / fetch_order / cancel_order", f"id {resting['id']}")
    since_ms = int(time.time() * 1000) - 1
    bought = client.create_order(ETH, "market", "buy", 1.0, mid)
    assert client.fetch_order(bought["id"], ETH)["status"] == "closed"
    ioc = client.create_order(ETH, "limit", "buy", 0.5, mid * 1.01, {"timeInForce": "IOC"})
    assert client.fetch_order(ioc["id"], ETH)["filled"] == 0.5
    reduced = client.create_order(ETH, "market", "sell", 0.5, mid, {"reduceOnly": True})
    assert client.fetch_order(reduced["id"], ETH)["reduceOnly"] is True
    stop = client.create_order(ETH, "market", "sell", 1.0, mid * 0.8, {"stopLossPrice": mid * 0.8, "reduceOnly": True})
    open_orders = client.fetch_open_orders(ETH)
    assert [(o["id"], o["triggerPrice"] is not None) for o in open_orders] == [(stop["id"], True)]
    _report("create_order market / IOC / reduce-only / trigger", f"stop {stop['id']} rests with a trigger")
    positions = client.fetch_positions([ETH])
    assert [(p["symbol"], p["side"], p["contracts"], p["leverage"]) for p in positions] == [(ETH, "long", 1.0, 5)]
    _report("fetch_positions", f"{positions[0]['contracts']} ETH long at {positions[0]['entryPrice']}")
    trades = client.fetch_my_trades(ETH, since_ms)
    assert [t["side"] for t in trades] == ["buy", "buy", "sell"] and all(t["timestamp"] >= since_ms for t in trades)
    assert sum(t["amount"] for t in trades if t["side"] == "buy") == pytest.approx(1.5)
    _report("fetch_my_trades(since)", f"{len(trades)} trades")


def test_ccxt_edit_order_history_time_and_fees(venue):
    paper, client = venue
    client.load_markets()
    mid = paper.mids()["SOL"]
    resting = client.create_order("SOL/USDC:USDC", "limit", "buy", 1.0, mid * 0.9)
    edited = client.edit_order(resting["id"], "SOL/USDC:USDC", "limit", "buy", 2.0, mid * 0.85)
    assert edited["id"] != resting["id"]
    assert [(o["id"], o["amount"]) for o in client.fetch_open_orders("SOL/USDC:USDC")] == [(edited["id"], 2.0)]
    _report("edit_order", f"{resting['id']} -> {edited['id']}")
    statuses = {o["id"]: o["status"] for o in client.fetch_orders("SOL/USDC:USDC")}
    assert statuses[resting["id"]] == "canceled" and statuses[edited["id"]] == "open"
    _report("fetch_orders", f"{len(statuses)} SOL orders in the history")
    assert abs(client.fetch_time() - time.time() * 1000) < 5_000  # the venue runs on real time
    fee = client.fetch_trading_fee("SOL/USDC:USDC")
    assert fee["taker"] == paper.settings.fee_rate
    _report("fetch_time / fetch_trading_fee", f"taker {fee['taker']}")
