"""The simulated market and order life cycles that need simulated time to pass."""
from __future__ import annotations

import eth_account
import numpy as np
import pytest
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from core.errors import BadInputError
from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.paper.market import DEFAULT_COINS
from core.exchange.paper.replay import CsvReplay
from core.exchange.paper.scenario import parse_scenario
from core.market.loader import load_csv
from tests.support.paper import start_paper

TIMEOUT_S = 5.0


def start(**settings) -> PaperExchange:
    """A paper exchange with 600 minutes of history and these settings, stopped after the test."""
    return start_paper(PaperSettings(history_minutes=600, **settings))


def test_same_seed_same_market_other_seed_other_market():
    a, b, c = start(seed=1), start(seed=1), start(seed=2)
    assert a.mids() == b.mids() != c.mids()


def test_csv_replay_moves_like_the_file(daily_dir, tmp_path):
    path = daily_dir / "BTC.csv"
    flat = tmp_path / "flat.json"
    flat.write_text('{"name": "flat", "events": []}')
    ex = start(replay_csv={"BTC": str(path)}, scenario=str(flat))
    closes = np.array([float(c["c"]) for c in Info(ex.base_url, skip_ws=True, timeout=TIMEOUT_S)
                       .candles_snapshot("BTC", "1m", 0, 2**62)])
    csv = load_csv(path, "BTC")
    # bar k replays the move into CSV bar k + 1, less the file's average move per bar
    drift = np.exp(np.log(csv.close[-1] / csv.close[0]) / (len(csv) - 1))
    expected = csv.close[2:601] / csv.close[1:600] / drift
    # Candle prices are on the venue's tick (5 significant figures): each close is within
    # 5e-5 of the true one, so a ratio of two is within 1e-4.
    np.testing.assert_allclose(closes[1:] / closes[:-1], expected, rtol=1.01e-4)


def write_csv(path, closes) -> None:
    """Hourly bars with the given closes; each opens at the previous close, wicks 1 % out."""
    lines = ["datetime,open,high,low,close,volume"]
    prev = closes[0]
    for k, close in enumerate(closes):
        lo, hi = min(prev, close), max(prev, close)
        lines.append(f"2024-01-{1 + k // 24:02d} {k % 24:02d}:00:00,{prev},{hi * 1.01},{lo * 0.99},{close},5")
        prev = close
    path.write_text("\n".join(lines) + "\n")


def test_csv_replay_cycles_back_to_its_start_instead_of_compounding(tmp_path):
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(np.log(4.0) / 59 + rng.normal(0, 0.01, 60)))  # x4 over the file
    closes[0] = 100.0
    path = tmp_path / "up.csv"
    write_csv(path, closes)
    flat = tmp_path / "flat.json"
    flat.write_text('{"name": "flat", "events": []}')
    ex = start(replay_csv={"BTC": str(path)}, scenario=str(flat))  # 600 minutes: ten passes of 59 moves
    candles = Info(ex.base_url, skip_ws=True, timeout=TIMEOUT_S).candles_snapshot("BTC", "1m", 0, 2**62)
    close = np.array([float(c["c"]) for c in candles])
    opens = np.array([float(c["o"]) for c in candles])
    np.testing.assert_allclose(opens[1:], close[:-1], rtol=1e-5)  # every pass continues where one ended
    btc_start_px = next(c.start_px for c in DEFAULT_COINS if c.name == "BTC")  # where the first pass began
    np.testing.assert_allclose(close[58::59], btc_start_px, rtol=1e-6)  # each pass ends where it began
    assert close.max() / close.min() < 2.0  # the x4 trend is gone; only the file's wiggles remain


def test_a_year_of_the_hourly_btc_file_stays_within_its_own_range(hourly_dir):
    csv = load_csv(hourly_dir / "BTC.csv", "BTC")
    replay = CsvReplay(csv)
    level = np.exp(np.cumsum(np.concatenate([replay.next_chunk(1440)[0] for _ in range(400)])))
    file_range = csv.close / csv.close[0]  # x4.5 from first to last bar: compounded, 400 days is ~1e13
    assert file_range.min() / 2 < level.min() and level.max() < file_range.max()
    assert level[replay.bars_per_pass - 1] == pytest.approx(1.0, rel=1e-9)


def test_a_demo_position_that_rounds_to_size_zero_is_refused_in_one_line(tmp_path):
    scenario = tmp_path / "dust.json"
    scenario.write_text('{"name": "dust", "demo_account": {"cash_usd": 1000, "positions": '
                        '[{"coin": "BTC", "side": "long", "notional_usd": 0.1}]}}')
    with pytest.raises(BadInputError, match=r"demo_account: BTC long of \$0.10 rounds to size 0 at mid") as caught:
        start(scenario=str(scenario))
    assert "\n" not in str(caught.value) and "5 size decimals" in str(caught.value)


def test_a_one_bar_csv_cannot_be_replayed(tmp_path):
    path = tmp_path / "one.csv"
    write_csv(path, [100.0])
    with pytest.raises(BadInputError, match="replay CSV for BTC: needs at least 2 bars"):
        start(replay_csv={"BTC": str(path)})


def test_correlated_selloff_hits_alts_harder_than_btc():
    ex = start(scenario="correlated-selloff")
    before = ex.mids()
    ex.fast_forward(minutes=40)
    after = ex.mids()
    moves = {coin: after[coin] / before[coin] - 1 for coin in before}
    assert moves["BTC"] == pytest.approx(-0.12, abs=0.03)
    assert moves["SOL"] < moves["ETH"] < moves["BTC"]


def test_gtc_rests_then_fills_when_price_trades_through_and_tpsl_child_goes_live():
    ex = start(scenario="demo")
    wallet = eth_account.Account.create()
    ex.open_account(wallet.address, 50_000.0)
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


def test_bad_scenarios_are_rejected_with_a_message():
    with pytest.raises(BadInputError, match="kind"):
        parse_scenario({"name": "x", "events": [{"kind": "meteor"}]}, "x.json")
    with pytest.raises(BadInputError, match="pct"):
        parse_scenario({"name": "x", "events": [{"kind": "crash", "pct": 150}]}, "x.json")
    with pytest.raises(BadInputError, match="unknown scenario"):
        start(scenario="no-such-scenario")
