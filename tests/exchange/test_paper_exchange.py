"""The paper exchange through the real SDK over loopback: shapes, matching, auth, limits, scenarios."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import eth_account
import pytest
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError
from hyperliquid.utils.signing import sign_l1_action
from hyperliquid.utils.types import Cloid

from core.errors import BadInputError
from core.exchange.paper import PaperSettings
from core.exchange.paper.scenario import available_scenarios, load_scenario
from core.exchange.paper.ticks import push_tick
from tests.support.paper import post_exchange, sdk_exchange, sdk_info, start_paper

TIMEOUT_S = 5.0
REAL_TIME_TOLERANCE_MS = 5_000
HISTORY_MINUTES = 6000  # > 5000 so the candle cap shows


@pytest.fixture
def paper_settings() -> PaperSettings:
    return PaperSettings(history_minutes=HISTORY_MINUTES)


info = sdk_info


def test_shipped_scenarios_load():
    assert {"demo", "crash", "correlated-selloff", "flaky-exchange"} <= set(available_scenarios())
    for name in available_scenarios():
        assert load_scenario(name).name == name


def test_demo_account_has_long_and_short_positions_in_hyperliquid_shape(paper):
    state = info(paper).user_state(paper.demo_address)
    assert set(state) >= {"assetPositions", "marginSummary", "crossMarginSummary", "withdrawable", "time"}
    sides = {}
    for entry in state["assetPositions"]:
        assert entry["type"] == "oneWay"
        p = entry["position"]
        for key in ("szi", "entryPx", "positionValue", "unrealizedPnl", "marginUsed", "returnOnEquity"):
            assert isinstance(p[key], str), key
            float(p[key])
        assert p["leverage"]["type"] == "cross"
        sides[p["coin"]] = float(p["szi"])
    assert sides["BTC"] > 0 and sides["ETH"] < 0 and sides["SOL"] > 0
    summary = state["marginSummary"]
    assert all(isinstance(v, str) for v in summary.values())
    value = float(summary["totalRawUsd"]) + sum(
        float(e["position"]["szi"]) * float(e["position"]["positionValue"]) / abs(float(e["position"]["szi"]))
        for e in state["assetPositions"])
    assert value == pytest.approx(float(summary["accountValue"]), rel=1e-6)


def test_meta_spot_meta_and_mids_satisfy_the_sdk(paper):
    client = info(paper)  # the constructor itself calls spotMeta and meta
    assert client.name_to_asset("ETH") == 1
    mids = client.all_mids()
    assert set(mids) == {"BTC", "ETH", "SOL", "XRP"} and all(float(v) > 0 for v in mids.values())


def test_candle_snapshot_serves_at_most_the_5000_most_recent(paper):
    candles = info(paper).candles_snapshot("BTC", "1m", 0, 2**62)
    assert len(candles) == 5000
    assert candles[-1]["t"] - candles[0]["t"] == 4999 * 60_000
    c = candles[-1]
    assert set(c) == {"t", "T", "s", "i", "o", "c", "h", "l", "v", "n"}
    assert float(c["l"]) <= min(float(c["o"]), float(c["c"])) <= max(float(c["o"]), float(c["c"])) <= float(c["h"])
    # Hourly candles reach back 5000 hours from the start, into the coarser synthetic history.
    hourly = info(paper).candles_snapshot("BTC", "1h", 0, 2**62)
    assert len(hourly) == 5000 and {b["t"] - a["t"] for a, b in zip(hourly, hourly[1:])} == {3_600_000}
    assert all(a["c"] == b["o"] for a, b in zip(hourly, hourly[1:]))  # continuous across the tiers


MINUTE_MS = 60_000


def test_a_request_reaching_past_the_5000_kept_candles_gets_only_the_kept_ones(paper):
    newest = info(paper).candles_snapshot("BTC", "1m", 0, 2**62)[-1]["t"]
    oldest_kept = newest - 4999 * MINUTE_MS
    straddling = info(paper).candles_snapshot("BTC", "1m", 0, oldest_kept + 999 * MINUTE_MS)
    assert [c["t"] for c in straddling] == [oldest_kept + k * MINUTE_MS for k in range(1000)]
    assert info(paper).candles_snapshot("BTC", "1m", 0, oldest_kept - MINUTE_MS) == []  # history, but not kept


def test_the_5000_are_kept_per_interval_and_counted_from_the_newest_candle():
    ex = start_paper(PaperSettings(history_minutes=HISTORY_MINUTES, candles_kept=10))
    minutes = info(ex).candles_snapshot("ETH", "1m", 0, 2**62)
    hours = info(ex).candles_snapshot("ETH", "1h", 0, 2**62)
    assert len(minutes) == len(hours) == 10
    assert hours[-1]["t"] == minutes[-1]["t"] // 3_600_000 * 3_600_000  # the newest hour is still forming
    ex.fast_forward(minutes=3)
    assert info(ex).candles_snapshot("ETH", "1m", 0, minutes[2]["t"]) == []  # pushed out by 3 new minutes


def test_an_archive_venue_serves_old_history_capped_at_5000_back_from_end_time():
    ex = start_paper(PaperSettings(history_minutes=HISTORY_MINUTES, candles_kept=None))
    newest = info(ex).candles_snapshot("BTC", "1m", 0, 2**62)[-1]["t"]
    old_end = newest - 5000 * MINUTE_MS
    old = info(ex).candles_snapshot("BTC", "1m", 0, old_end)
    assert old[-1]["t"] == old_end and len(old) == HISTORY_MINUTES - 5000
    assert len(info(ex).candles_snapshot("BTC", "1m", 0, newest)) == 5000


def test_candles_kept_must_be_positive_or_none():
    with pytest.raises(BadInputError, match="candles_kept"):
        PaperSettings(candles_kept=0)


def test_crash_scenario_moves_prices_down_by_about_its_percent(paper):
    before = paper.mids()
    paper.switch_scenario("crash")
    paper.fast_forward(minutes=15)
    after = info(paper).all_mids()
    for coin, px in before.items():
        assert float(after[coin]) / px == pytest.approx(0.80, abs=0.03), coin


def test_speed_turns_wall_seconds_into_simulated_minutes(paper, clock):
    t0 = info(paper).user_state(paper.demo_address)["time"]
    clock.advance(seconds=5)
    assert info(paper).user_state(paper.demo_address)["time"] - t0 == 5 * 60_000


def test_stale_scenario_freezes_all_mids(paper):
    paper.switch_scenario("stale-feed")
    paper.fast_forward(minutes=2)
    frozen = info(paper).all_mids()
    paper.fast_forward(minutes=5)
    assert info(paper).all_mids() == frozen
    paper.fast_forward(minutes=10)
    assert info(paper).all_mids() != frozen


def test_wrong_key_is_rejected_as_unknown_wallet(paper):
    stranger = eth_account.Account.create()
    reply = sdk_exchange(paper, stranger).order("BTC", True, 0.001, 80_000.0, {"limit": {"tif": "Ioc"}})
    assert reply["status"] == "err"
    assert f"User or API Wallet {stranger.address.lower()} does not exist" in reply["response"]


def test_agent_signs_for_its_master(paper):
    agent = eth_account.Account.create()
    paper.approve_agent(paper.demo_address, agent.address)
    ex = sdk_exchange(paper, agent, account_address=paper.demo_address)
    reply = ex.market_close("ETH")  # the SDK reads the position, the mid, then sends an IOC
    assert "filled" in reply["response"]["data"]["statuses"][0]
    coins = {e["position"]["coin"] for e in info(paper).user_state(paper.demo_address)["assetPositions"]}
    assert "ETH" not in coins


def test_reused_and_out_of_window_nonces_are_rejected(paper, trader, clock):
    action = {"type": "scheduleCancel"}
    nonce = clock.now_ms()
    signature = sign_l1_action(trader, action, None, nonce, None, False)
    assert post_exchange(paper.base_url, action, signature, nonce)["status"] == "ok"
    again = post_exchange(paper.base_url, action, signature, nonce)
    assert again["status"] == "err" and again["response"].startswith("Invalid nonce")
    old = clock.now_ms() - 3 * 86_400_000
    stale = post_exchange(paper.base_url, action, sign_l1_action(trader, action, None, old, None, False), old)
    assert stale["status"] == "err" and "window" in stale["response"]


def test_trigger_stop_fires_when_the_simulated_price_crosses(paper, trader):
    ex = sdk_exchange(paper, trader)
    mid = paper.mids()["BTC"]
    assert "filled" in ex.order("BTC", True, 0.2, round(mid * 1.01), {"limit": {"tif": "Ioc"}})["response"]["data"]["statuses"][0]
    stop_px = round(mid * 0.95)
    cloid = Cloid.from_int(42)
    placed = ex.order("BTC", False, 0.2, round(mid * 0.8), {"trigger": {"triggerPx": stop_px, "isMarket": True, "tpsl": "sl"}},
                      reduce_only=True, cloid=cloid)
    assert "resting" in placed["response"]["data"]["statuses"][0]
    assert info(paper).query_order_by_cloid(trader.address, cloid)["order"]["status"] == "open"
    paper.switch_scenario("crash")
    paper.fast_forward(minutes=15)
    status = info(paper).query_order_by_cloid(trader.address, cloid)
    assert status["order"]["status"] == "filled"
    assert info(paper).user_state(trader.address)["assetPositions"] == []
    fills = info(paper).user_fills(trader.address)
    assert fills[0]["dir"] == "Close Long" and float(fills[0]["px"]) < stop_px * 1.001
    limits = info(paper).user_rate_limit(trader.address)
    assert limits["nRequestsUsed"] == 2 and float(limits["cumVlm"]) > 0


@pytest.mark.parametrize("bar_pct, fill_at_most_pct", [
    ((+1.0, +1.0, -1.0, +0.5), 0.0),  # a wick through the stop, closing above it: fills at the stop
    ((-3.0, -2.0, -4.0, -2.5), -3.0),  # a gap through it: fills at the open, not back at the stop
])
def test_a_stop_market_fills_where_the_bar_crossed_it_never_better(paper, trader, bar_pct, fill_at_most_pct):
    ex = sdk_exchange(paper, trader)
    mid = paper.mids()["BTC"]
    ex.order("BTC", True, 0.2, round(mid * 1.01), {"limit": {"tif": "Ioc"}})
    stop_px = round(mid)
    ex.order("BTC", False, 0.2, round(mid * 0.8), {"trigger": {"triggerPx": stop_px, "isMarket": True, "tpsl": "sl"}},
             reduce_only=True)
    bar = tuple(stop_px * (1 + pct / 100) for pct in bar_pct)
    push_tick(paper, paper.market.series("BTC").last_open_ms() + MINUTE_MS, {"BTC": bar})
    fill = info(paper).user_fills(trader.address)[0]
    assert fill["dir"] == "Close Long" and float(fill["sz"]) == 0.2
    assert float(fill["px"]) <= stop_px * (1 + fill_at_most_pct / 100) < bar[3]  # the close would have paid more
    assert float(fill["px"]) > stop_px * (1 + fill_at_most_pct / 100) * 0.995  # a book's depth away, no more


def test_order_status_by_oid_and_unknown(paper, trader):
    ex = sdk_exchange(paper, trader)
    mid = paper.mids()["ETH"]
    rest = ex.order("ETH", True, 0.01, round(mid * 0.9, 1), {"limit": {"tif": "Gtc"}})
    oid = rest["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert info(paper).query_order_by_oid(trader.address, oid)["order"]["order"]["oid"] == oid
    assert info(paper).open_orders(trader.address)[0]["oid"] == oid
    assert info(paper).query_order_by_oid(trader.address, 1) == {"status": "unknownOid"}
    assert ex.cancel("ETH", oid)["response"]["data"]["statuses"] == ["success"]
    assert info(paper).open_orders(trader.address) == []


def test_weight_budget_answers_429_with_a_non_json_body(paper, clock):
    client = info(paper)  # spotMeta + meta: 40 weight
    with pytest.raises(ClientError) as caught:
        for _ in range(100):
            client.meta()  # 20 each
    assert caught.value.status_code == 429 and caught.value.error_code is None
    assert caught.value.error_data["Retry-After"]  # the SDK puts headers in error_data on this path
    clock.advance(seconds=61)
    assert client.meta()["universe"]


def test_schedule_cancel_dead_man_switch_cancels_open_orders(paper, trader, clock):
    ex = sdk_exchange(paper, trader)
    mid = paper.mids()["SOL"]
    ex.order("SOL", True, 1.0, round(mid * 0.9, 2), {"limit": {"tif": "Gtc"}})
    too_soon = ex.schedule_cancel(clock.now_ms() + 1000)
    assert too_soon["status"] == "err"
    assert ex.schedule_cancel(clock.now_ms() + 10_000)["status"] == "ok"
    clock.advance(seconds=11)
    assert info(paper).open_orders(trader.address) == []


def test_cli_prints_base_url_json_first(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "console.cli", "paper-exchange", "--port", "0", "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={"PATH": "", "EVORISK_DB": str(tmp_path / "x.db")})
    try:
        first = json.loads(proc.stdout.readline())
        assert first["base_url"].startswith("http://127.0.0.1:")
        state = Info(first["base_url"], skip_ws=True, timeout=TIMEOUT_S).user_state(first["demo_address"])
        assert len(state["assetPositions"]) == 3
        # Real time by default: the venue's clock is the client's (at the console's 60x it would
        # already be a minute ahead after a second of uptime).
        assert abs(state["time"] - time.time() * 1000) < REAL_TIME_TOLERANCE_MS
    finally:
        proc.kill()
        proc.wait(timeout=10)
