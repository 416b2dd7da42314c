"""The simulated market and order life cycles that need simulated time to pass."""
from __future__ import annotations

import eth_account
import numpy as np
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from core.errors import BadInputError
from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.exchange.paper.scenario import parse_scenario
from core.market.loader import load_csv

TIMEOUT_S = 5.0


def start(**settings) -> PaperExchange:
    return PaperExchange(PaperSettings(history_minutes=600, **settings), clock=ManualClock()).start()


def test_same_seed_same_market_other_seed_other_market():
    a, b, c = start(seed=1), start(seed=1), start(seed=2)
    try:
        assert a.mids() == b.mids() != c.mids()
    finally:
        for ex in (a, b, c):
            ex.stop()


def test_csv_replay_moves_like_the_file(daily_dir, tmp_path):
    path = daily_dir / "BTC.csv"
    flat = tmp_path / "flat.json"
    flat.write_text('{"name": "flat", "events": []}')
    ex = start(replay_csv={"BTC": str(path)}, scenario=str(flat))
    try:
        closes = np.array([float(c["c"]) for c in Info(ex.base_url, skip_ws=True, timeout=TIMEOUT_S)
                           .candles_snapshot("BTC", "1m", 0, 2**62)])
        csv = load_csv(path, "BTC")
        expected = csv.close[2:601] / csv.close[1:600]  # bar k replays the move into CSV bar k + 1
        np.testing.assert_allclose(closes[1:] / closes[:-1], expected, rtol=2e-5)
    finally:
        ex.stop()


def test_correlated_selloff_hits_alts_harder_than_btc():
    ex = start(scenario="correlated-selloff")
    try:
        before = ex.mids()
        ex.fast_forward(minutes=40)
        after = ex.mids()
        moves = {coin: after[coin] / before[coin] - 1 for coin in before}
        assert moves["BTC"] == pytest.approx(-0.12, abs=0.03)
        assert moves["SOL"] < moves["ETH"] < moves["BTC"]
    finally:
        ex.stop()


def test_gtc_rests_then_fills_when_price_trades_through_and_tpsl_child_goes_live():
    ex = start(scenario="demo")
    wallet = eth_account.Account.create()
    ex.open_account(wallet.address, 50_000.0)
    try:
        sdk = Exchange(wallet, ex.base_url, timeout=TIMEOUT_S)
        mid = ex.mids()["ETH"]
        entry, stop = round(mid * 0.95, 1), round(mid * 0.80, 1)
        reply = sdk.bulk_orders([
            {"coin": "ETH", "is_buy": True, "sz": 1.0, "limit_px": entry, "order_type": {"limit": {"tif": "Gtc"}},
             "reduce_only": False},
            {"coin": "ETH", "is_buy": False, "sz": 1.0, "limit_px": round(stop * 0.9, 1),
             "order_type": {"trigger": {"triggerPx": stop, "isMarket": True, "tpsl": "sl"}}, "reduce_only": True},
        ], grouping="normalTpsl")
        parent, child = reply["response"]["data"]["statuses"]
        assert "resting" in parent and child == "waitingForFill"
        ex.switch_scenario("crash")  # -20 %: first through the entry, later through the stop
        ex.fast_forward(minutes=15)
        info = Info(ex.base_url, skip_ws=True, timeout=TIMEOUT_S)
        fills = info.user_fills(wallet.address)
        assert [f["dir"] for f in reversed(fills)] == ["Open Long", "Close Long"]
        assert float(fills[-1]["px"]) == entry  # the resting order filled at its limit (maker)
        assert info.user_state(wallet.address)["assetPositions"] == []
    finally:
        ex.stop()


def test_bad_scenarios_are_rejected_with_a_message():
    with pytest.raises(BadInputError, match="kind"):
        parse_scenario({"name": "x", "events": [{"kind": "meteor"}]}, "x.json")
    with pytest.raises(BadInputError, match="pct"):
        parse_scenario({"name": "x", "events": [{"kind": "crash", "pct": 150}]}, "x.json")
    with pytest.raises(BadInputError, match="unknown scenario"):
        start(scenario="no-such-scenario")
