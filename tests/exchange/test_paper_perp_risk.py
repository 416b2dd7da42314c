"""Perp risk on the paper exchange through the real SDK: asset contexts, hourly funding, liquidation."""
from __future__ import annotations

import eth_account
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.paper.funding import FUNDING_CAP_PER_HOUR, INTEREST_RATE_8H, hourly_rate
from core.exchange.paper.margin import maintenance_margin
from core.exchange.paper.scenario import parse_scenario
from tests.support.hl_shapes import load_reference, mismatches
from tests.support.paper import start_paper

TIMEOUT_S = 5.0
MS_PER_HOUR = 3_600_000


def info(paper: PaperExchange) -> Info:
    return Info(paper.base_url, skip_ws=True, timeout=TIMEOUT_S)


@pytest.fixture
def paper_settings() -> PaperSettings:
    return PaperSettings(history_minutes=3 * 1440)


@pytest.fixture
def liquidation_paper() -> PaperExchange:
    return start_paper(PaperSettings(scenario="liquidation", history_minutes=1440))


def _position(state: dict, coin: str) -> dict | None:
    return next((p["position"] for p in state["assetPositions"] if p["position"]["coin"] == coin), None)


def test_meta_and_asset_ctxs_has_one_context_per_coin_in_the_venue_shape(hl_shapes_dir, paper):
    meta, ctxs = info(paper).meta_and_asset_ctxs()
    assert [u["name"] for u in meta["universe"]] == list(paper.mids())
    assert len(ctxs) == len(meta["universe"])
    assert mismatches([meta, ctxs], load_reference("metaAndAssetCtxs")["shape"]) == []
    mids = paper.mids()
    for coin, ctx in zip(mids, ctxs):
        bid, ask = (float(px) for px in ctx["impactPxs"])
        assert bid < mids[coin] < ask
        assert abs(float(ctx["funding"])) <= FUNDING_CAP_PER_HOUR
        assert float(ctx["oraclePx"]) == pytest.approx(float(ctx["markPx"]) / (1 + float(ctx["premium"])), rel=1e-4)
        assert float(ctx["openInterest"]) > 0 and float(ctx["dayNtlVlm"]) > 0


def test_funding_rate_is_the_venue_formula_with_its_4pct_hourly_cap():
    assert hourly_rate(0.0) == pytest.approx(INTEREST_RATE_8H / 8)  # a flat market pays the interest
    assert hourly_rate(0.00005) == pytest.approx(INTEREST_RATE_8H / 8)  # within the clamp: interest only
    assert hourly_rate(0.002) == pytest.approx((0.002 - 0.0005) / 8)  # beyond it: premium less the clamp
    assert hourly_rate(1.0) == FUNDING_CAP_PER_HOUR
    assert hourly_rate(-1.0) == -FUNDING_CAP_PER_HOUR


def test_funding_history_lists_every_hour_in_the_venue_shape(hl_shapes_dir, paper):
    end = paper.market.now_ms
    start = end - 24 * MS_PER_HOUR
    history = info(paper).funding_history("ETH", start, end)
    assert mismatches(history, load_reference("fundingHistory")["shape"]) == []
    times = [h["time"] for h in history]
    hours_in_window = end // MS_PER_HOUR - -(-start // MS_PER_HOUR) + 1  # 24, or 25 when both ends are on the hour
    assert len(times) == hours_in_window and all(t % MS_PER_HOUR == 0 for t in times)
    assert times == sorted(times) and times[-1] <= end


def test_funding_moves_with_the_market_and_is_charged_hourly_to_cash(hl_shapes_dir, paper):
    wallet = eth_account.Account.create()
    paper.open_account(wallet.address, 100_000.0)
    exchange = Exchange(wallet, paper.base_url, timeout=TIMEOUT_S)
    assert exchange.market_open("BTC", True, 0.5)["status"] == "ok"
    assert exchange.market_open("ETH", False, 5.0)["status"] == "ok"
    client = info(paper)
    before = client.user_state(wallet.address)
    start_ms = paper.market.now_ms
    paper.switch_scenario(parse_scenario({"name": "btc-up-eth-down", "events": [
        {"kind": "crash", "at_min": 0, "over_min": 60, "pct": 10, "coins": ["ETH"]},
        {"kind": "gap", "at_min": 0, "pct": 10, "coins": ["BTC"]}]}, "test"))
    paper.fast_forward(3 * 60)
    payments = client.user_funding_history(wallet.address, start_ms)
    assert mismatches(payments, load_reference("userFunding")["shape"]) == []
    assert {p["delta"]["coin"] for p in payments} == {"BTC", "ETH"}
    assert len(payments) == 6 and all(p["time"] % MS_PER_HOUR == 0 for p in payments)
    by_coin = {c: [p["delta"] for p in payments if p["delta"]["coin"] == c] for c in ("BTC", "ETH")}
    # BTC jumped up: the long pays; ETH fell: the short pays. Sign of usdc = -sign(szi x rate).
    assert max(float(d["fundingRate"]) for d in by_coin["BTC"]) > INTEREST_RATE_8H / 8
    assert min(float(d["fundingRate"]) for d in by_coin["ETH"]) < 0
    for delta in by_coin["BTC"] + by_coin["ETH"]:
        assert float(delta["usdc"]) * float(delta["szi"]) * float(delta["fundingRate"]) <= 0
    after = client.user_state(wallet.address)
    received = sum(float(p["delta"]["usdc"]) for p in payments)
    cash_change = float(after["marginSummary"]["totalRawUsd"]) - float(before["marginSummary"]["totalRawUsd"])
    assert cash_change == pytest.approx(received, abs=1e-5)
    for coin in ("BTC", "ETH"):
        cum = _position(after, coin)["cumFunding"]
        paid = -sum(float(d["usdc"]) for d in by_coin[coin])
        assert float(cum["allTime"]) == pytest.approx(paid, abs=1e-5)
        assert float(cum["sinceOpen"]) == pytest.approx(paid, abs=1e-5)
        assert float(cum["sinceChange"]) == pytest.approx(paid, abs=1e-5)


def test_cum_funding_since_change_restarts_when_the_size_changes(paper):
    wallet = eth_account.Account.create()
    paper.open_account(wallet.address, 100_000.0)
    exchange = Exchange(wallet, paper.base_url, timeout=TIMEOUT_S)
    exchange.market_open("BTC", True, 0.5)
    paper.fast_forward(2 * 60)
    exchange.market_open("BTC", True, 0.1)
    cum = _position(info(paper).user_state(wallet.address), "BTC")["cumFunding"]
    assert float(cum["sinceChange"]) == 0.0 and float(cum["sinceOpen"]) != 0.0
    assert cum["allTime"] == cum["sinceOpen"]


def test_liquidation_px_is_where_account_value_meets_maintenance(liquidation_paper):
    state = info(liquidation_paper).user_state(liquidation_paper.demo_address)
    pos = _position(state, "BTC")
    szi, liq = float(pos["szi"]), float(pos["liquidationPx"])
    mark = float(pos["positionValue"]) / abs(szi)
    value_at_liq = float(state["marginSummary"]["accountValue"]) + szi * (liq - mark)
    assert pos["leverage"] == {"type": "cross", "value": 15} and pos["maxLeverage"] == 40
    assert value_at_liq == pytest.approx(maintenance_margin(szi, liq, 40), rel=1e-4)
    assert float(state["crossMaintenanceMarginUsed"]) == pytest.approx(maintenance_margin(szi, mark, 40), rel=1e-6)


def test_liquidation_scenario_walks_the_demo_long_to_its_liquidation_price(liquidation_paper):
    client = info(liquidation_paper)
    address = liquidation_paper.demo_address
    last_liq, last_maintenance, minutes = None, None, 0
    while _position(state := client.user_state(address), "BTC") is not None:
        pos = _position(state, "BTC")
        # Above maintenance the position stands: value >= maintenance margin, mark above liquidation.
        assert float(state["marginSummary"]["accountValue"]) >= float(state["crossMaintenanceMarginUsed"])
        assert float(pos["positionValue"]) / float(pos["szi"]) > float(pos["liquidationPx"])
        last_liq, last_maintenance = float(pos["liquidationPx"]), float(state["crossMaintenanceMarginUsed"])
        liquidation_paper.fast_forward(1)
        minutes += 1
        assert minutes < 240, "the scenario never reached the liquidation price"
    fills = client.user_fills(address)
    assert fills and all(f["liquidation"]["method"] == "market" for f in fills)
    assert float(fills[0]["liquidation"]["markPx"]) <= last_liq * 1.001  # crossed where it was shown
    after = client.user_state(address)
    assert after["assetPositions"] == []
    # A market liquidation leaves the account what the book paid above zero, about its maintenance margin.
    assert 0 < float(after["marginSummary"]["accountValue"]) < last_maintenance


def test_a_gap_through_two_thirds_of_maintenance_is_a_backstop_liquidation(paper):
    wallet = eth_account.Account.create()
    paper.open_account(wallet.address, 10_000.0)
    exchange = Exchange(wallet, paper.base_url, timeout=TIMEOUT_S)
    size = round(90_000 / paper.mids()["BTC"], 4)
    assert "filled" in exchange.market_open("BTC", True, size)["response"]["data"]["statuses"][0]
    exchange.order("BTC", False, size, round(paper.mids()["BTC"] * 1.5), {"limit": {"tif": "Gtc"}}, reduce_only=True)
    paper.switch_scenario(parse_scenario({"name": "gap", "events": [
        {"kind": "gap", "at_min": 0, "pct": -15, "coins": ["BTC"]}]}, "test"))
    paper.fast_forward(2)
    client = info(paper)
    fills = client.user_fills(wallet.address)
    assert fills[0]["liquidation"]["method"] == "backstop"
    state = client.user_state(wallet.address)
    assert state["assetPositions"] == [] and float(state["marginSummary"]["accountValue"]) == 0.0
    assert client.open_orders(wallet.address) == []  # the reduce-only take-profit went with it
