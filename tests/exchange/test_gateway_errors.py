"""Every way the venue can fail becomes one typed error at the gateway (RELIABILITY section 2)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exchange import parse
from core.exchange.errors import (
    ExchangeClientError,
    ExchangeServerError,
    ExchangeTimeout,
    ExchangeUnreachable,
    MalformedReply,
    RateLimited,
)
from core.exchange.gateway import HyperliquidGateway
from core.exchange.models import OrderRequest
from tests.support.paper import funded_wallet

CLOID = "0x" + "c" * 32


@pytest.fixture
def gateway(paper) -> HyperliquidGateway:
    wallet = funded_wallet(paper)
    gw = HyperliquidGateway("paper", base_url=paper.base_url, private_key=wallet.key.hex(), timeout_s=0.5)
    gw.mids()  # build the SDK objects before faults are injected
    return gw


@pytest.mark.parametrize("body", ["text", "null", "{}"])
def test_injected_429_becomes_rate_limited_with_retry_after(paper, gateway, body):
    paper.inject_fault("http_429", body=body, retry_after_s=7)
    with pytest.raises(RateLimited) as caught:
        gateway.account_state(paper.demo_address)
    assert caught.value.retry_after_s == 7
    assert gateway.account_state(paper.demo_address).positions  # the burst is over


def test_spent_weight_budget_becomes_rate_limited_until_the_minute_passes(paper, gateway, clock):
    with pytest.raises(RateLimited) as caught:
        for _ in range(50):
            gateway.candles("BTC", "1m", 0, clock.now_ms())  # 600 candles: 20 + 600 / 60 = 30 weight
    assert 0 < caught.value.retry_after_s <= 60
    clock.advance(seconds=61)
    assert gateway.mids()


def test_5xx_becomes_exchange_server_error(paper, gateway):
    paper.inject_fault("http_5xx", status=503)
    with pytest.raises(ExchangeServerError) as caught:
        gateway.mids()
    assert caught.value.status_code == 503


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
def test_malformed_body_becomes_malformed_reply(paper, gateway, mode):
    paper.inject_fault("malformed", mode=mode)
    with pytest.raises(MalformedReply):
        gateway.account_state(paper.demo_address)


def test_latency_beyond_timeout_is_exchange_timeout_and_the_order_can_be_found_by_cloid(paper, gateway):
    paper.inject_fault("latency", latency_ms=1200)
    with pytest.raises(ExchangeTimeout) as caught:
        gateway.mids()
    assert not caught.value.action_sent
    mid = gateway.mids()["ETH"]
    paper.inject_fault("latency", latency_ms=1200, endpoint="exchange")
    with pytest.raises(ExchangeTimeout) as caught:
        gateway.place_orders([OrderRequest("ETH", True, 0.1, mid * 1.01, tif="Ioc", cloid=CLOID)])
    assert caught.value.action_sent  # outcome unknown: look it up, never resend blindly
    assert gateway.order_status_by_cloid(gateway.account_address, CLOID).status == "filled"


def test_bad_request_becomes_client_error(gateway):
    with pytest.raises(ExchangeClientError) as caught:
        gateway.candles("BTC", "7m", 0, 1)
    assert caught.value.status_code == 422


def test_stopped_server_is_unreachable(paper, gateway):
    paper.stop()
    with pytest.raises(ExchangeUnreachable):
        gateway.mids()


def test_scenario_faults_fire_by_simulated_time(paper, gateway):
    paper.switch_scenario("flaky-exchange")  # 429 burst in minute 2 of every 10
    paper.fast_forward(minutes=2)
    with pytest.raises(RateLimited):
        gateway.account_state(paper.demo_address)


@pytest.mark.parametrize("bad", ["NaN", "inf", "-inf", "0", "-1", "", "abc", None, True, [1]])
def test_bad_prices_are_rejected_at_the_boundary(bad):
    with pytest.raises(MalformedReply):
        parse.parse_mids({"BTC": bad})


def test_missing_fields_reject_the_whole_account():
    with pytest.raises(MalformedReply, match="assetPositions"):
        parse.parse_account_state({"marginSummary": {"accountValue": "1", "totalMarginUsed": "0"},
                                   "withdrawable": "1"}, fallback_time_ms=0)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["BTC", "ETH"]), st.one_of(st.text(max_size=8), st.floats(), st.integers())))
def test_parsed_mids_are_always_positive_and_finite(raw):
    try:
        mids = parse.parse_mids(raw)
    except MalformedReply:
        return
    assert all(px > 0 and px != float("inf") for px in mids.values())


def test_every_sdk_constructor_in_core_exchange_passes_timeout():
    """RELIABILITY section 4: 100 % of SDK constructors have an explicit timeout= (static check)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "core" / "exchange"
    calls = [node for path in root.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id in ("Info", "Exchange", "NonceExchange")]
    assert len(calls) >= 2
    assert all(any(k.arg == "timeout" for k in call.keywords) for call in calls)
