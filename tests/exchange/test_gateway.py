"""HyperliquidGateway (real SDK) against the paper exchange on loopback: reads and orders."""
from __future__ import annotations

import logging
import math

import eth_account
import pytest
from hyperliquid.utils.constants import MAINNET_API_URL

from core.exchange.errors import GatewayConfigError, OrderRejected
from core.exchange.gateway import HyperliquidGateway
from core.exchange.models import OrderRequest, Trigger
from core.exchange.paper import ManualClock, PaperSettings
from tests.support.paper import funded_wallet

CLOID_A = "0x" + "a" * 32
CLOID_B = "0x" + "b" * 32


@pytest.fixture
def paper_settings() -> PaperSettings:
    return PaperSettings(history_minutes=6000)


@pytest.fixture
def key(paper) -> str:
    return funded_wallet(paper).key.hex()


@pytest.fixture
def gateway(paper, key) -> HyperliquidGateway:
    return HyperliquidGateway("paper", base_url=paper.base_url, private_key=key, timeout_s=5.0)


def ioc(coin: str, is_buy: bool, size: float, px: float, **kw) -> OrderRequest:
    return OrderRequest(coin=coin, is_buy=is_buy, size=size, limit_px=px, tif="Ioc", **kw)


def test_account_state_parses_long_and_short_demo_positions(paper, gateway):
    state = gateway.account_state(paper.demo_address)
    sides = {p.coin: p.side for p in state.positions}
    assert sides == {"BTC": "long", "ETH": "short", "SOL": "long"}
    assert state.equity_usd > 0 and state.time_ms > 0
    for p in state.positions:
        assert p.mark_px > 0 and p.entry_px > 0 and math.isfinite(p.unrealized_pnl_usd)
        assert p.unrealized_pnl_usd == pytest.approx(p.size * (p.mark_px - p.entry_px), rel=1e-3, abs=0.5)


def test_mids_and_candles(gateway, clock):
    mids = gateway.mids()
    assert set(mids) == {"BTC", "ETH", "SOL", "XRP"}
    candles = gateway.candles("ETH", "1m", 0, clock.now_ms())
    assert len(candles) == 5000
    assert candles[-1].close_px == pytest.approx(mids["ETH"])


def test_ioc_buy_fills_in_full(paper, gateway):
    mid = gateway.mids()["BTC"]
    [result] = gateway.place_orders([ioc("BTC", True, 0.05, mid * 1.01)])
    assert result.status == "filled" and result.filled_size == pytest.approx(0.05)
    assert mid < result.avg_px < mid * 1.01
    assert gateway.account_state(gateway.account_address).position("BTC").size == pytest.approx(0.05)


def test_ioc_larger_than_book_depth_fills_partially(gateway):
    mid = gateway.mids()["BTC"]
    [result] = gateway.place_orders([ioc("BTC", True, 10.0, mid * 1.001)])  # two levels of $250k each
    assert result.status == "filled" and 0 < result.filled_size < 10.0
    assert result.filled_size * result.avg_px == pytest.approx(500_000, rel=0.01)


def test_ioc_that_is_not_marketable_is_an_order_error(gateway):
    mid = gateway.mids()["ETH"]
    [result] = gateway.place_orders([ioc("ETH", True, 0.1, mid * 0.98)])
    assert result.status == "error"
    assert result.error == "Order could not immediately match against any resting orders. asset=1"


def test_reduce_only_that_would_increase_is_rejected(gateway):
    mid = gateway.mids()["SOL"]
    [result] = gateway.place_orders([ioc("SOL", False, 1.0, mid * 0.95, reduce_only=True)])
    assert result.status == "error" and result.error.startswith("Reduce only order would increase position.")


def test_minimum_order_value_is_ten_dollars(gateway):
    mid = gateway.mids()["XRP"]
    [result] = gateway.place_orders([ioc("XRP", True, 5, mid * 1.01)])
    assert result.status == "error" and "minimum value of $10" in result.error


def test_post_only_that_would_cross_and_orders_beyond_margin_are_refused(gateway):
    mid = gateway.mids()["BTC"]
    [alo] = gateway.place_orders([OrderRequest("BTC", True, 0.01, mid * 1.01, tif="Alo")])
    assert alo.status == "error" and alo.error.startswith("Post only order would have immediately matched")
    [huge] = gateway.place_orders([ioc("BTC", True, 20.0, mid * 1.05)])  # ~$1.3M at 10x on $100k
    assert huge.status == "error" and huge.error.startswith("Insufficient margin to place order.")


def test_invalid_key_is_a_config_error_without_the_key_in_the_message(paper):
    with pytest.raises(GatewayConfigError) as caught:
        HyperliquidGateway("paper", base_url=paper.base_url, private_key="0x1234secret")
    assert "secret" not in str(caught.value)


def test_duplicate_cloid_is_refused_and_status_is_found_by_cloid(gateway):
    mid = gateway.mids()["ETH"]
    first, second = gateway.place_orders([ioc("ETH", True, 0.1, mid * 1.01, cloid=CLOID_A),
                                          ioc("ETH", True, 0.1, mid * 1.01, cloid=CLOID_A)])
    assert first.status == "filled" and second.status == "error" and "cloid" in second.error.lower()
    status = gateway.order_status_by_cloid(gateway.account_address, CLOID_A)
    assert status.status == "filled" and status.oid == first.oid and status.cloid == CLOID_A
    assert gateway.order_status_by_cloid(gateway.account_address, CLOID_B) is None


def test_resting_order_cancel_by_cloid_and_open_orders(gateway):
    mid = gateway.mids()["BTC"]
    [result] = gateway.place_orders([OrderRequest("BTC", True, 0.01, mid * 0.9, cloid=CLOID_B)])
    assert result.status == "resting"
    [open_order] = gateway.open_orders(gateway.account_address)
    assert open_order.cloid == CLOID_B and open_order.is_buy
    assert gateway.cancel_by_cloid("BTC", CLOID_B) is None
    assert gateway.cancel_by_cloid("BTC", CLOID_B) == "Order was never placed, already canceled, or filled."
    assert gateway.open_orders(gateway.account_address) == []


def test_stop_with_position_tpsl_grouping_closes_the_position_on_a_crash(paper, gateway):
    mid = gateway.mids()["SOL"]
    gateway.place_orders([ioc("SOL", True, 50, mid * 1.01)])
    stop = OrderRequest("SOL", False, 50, mid * 0.7, reduce_only=True, cloid=CLOID_A,
                        trigger=Trigger(trigger_px=mid * 0.9, tpsl="sl"))
    [placed] = gateway.place_orders([stop], grouping="positionTpsl")
    assert placed.status == "resting"
    paper.switch_scenario("crash")
    paper.fast_forward(minutes=15)
    assert gateway.order_status_by_cloid(gateway.account_address, CLOID_A).status == "filled"
    assert gateway.account_state(gateway.account_address).position("SOL") is None


def test_wrong_key_is_rejected_as_order_rejected(paper):
    stranger = HyperliquidGateway("paper", base_url=paper.base_url, private_key=eth_account.Account.create().key.hex())
    with pytest.raises(OrderRejected, match="does not exist"):
        stranger.place_orders([ioc("BTC", True, 0.01, 1_000_000)])


def test_nonces_are_monotonic_even_when_the_clock_stands_still(paper, key):
    frozen = ManualClock()
    gw = HyperliquidGateway("paper", base_url=paper.base_url, private_key=key, now_ms=frozen.now_ms)
    gw.schedule_cancel(None)
    gw.schedule_cancel(None)  # same millisecond: still a fresh nonce
    twin = HyperliquidGateway("paper", base_url=paper.base_url, private_key=key, now_ms=ManualClock(frozen.now_ms()).now_ms)
    with pytest.raises(OrderRejected, match="Invalid nonce"):
        twin.schedule_cancel(None)  # an independent counter on the same key reuses a nonce


def test_network_guard_keeps_paper_and_testnet_off_mainnet():
    with pytest.raises(GatewayConfigError):
        HyperliquidGateway("mainnet")
    with pytest.raises(GatewayConfigError):
        HyperliquidGateway("mainnet", base_url=MAINNET_API_URL + "/", allow_mainnet=True)
    with pytest.raises(GatewayConfigError):
        HyperliquidGateway("paper", base_url=MAINNET_API_URL)
    with pytest.raises(GatewayConfigError):
        HyperliquidGateway("paper", base_url="http://10.0.0.5:3001")
    with pytest.raises(GatewayConfigError):
        HyperliquidGateway("testnet", base_url="https://api.hyperliquid-testnet.xyz.evil")
    assert HyperliquidGateway("mainnet", allow_mainnet=True).base_url == MAINNET_API_URL  # no request made


def test_private_key_never_appears_in_repr_or_logs(paper, key, caplog, monkeypatch):
    monkeypatch.setenv("EVORISK_PRIVATE_KEY", key)
    caplog.set_level(logging.DEBUG)
    gw = HyperliquidGateway.from_env("paper", base_url=paper.base_url)
    mid = gw.mids()["BTC"]
    gw.place_orders([ioc("BTC", True, 0.01, mid * 1.01)])
    bare = key.removeprefix("0x")
    assert bare not in repr(gw) and bare not in str(vars(gw))
    assert bare not in caplog.text


def test_orders_need_a_key(paper):
    gw = HyperliquidGateway("paper", base_url=paper.base_url)
    with pytest.raises(GatewayConfigError):
        gw.schedule_cancel(None)
