"""RELIABILITY section 2, scenarios 19 (mainnet guard) and 20 (clock skew versus the nonce window).

Mainnet is never contacted: a local listener stands in as the HTTP(S) proxy for every request,
so any attempt to reach api.hyperliquid.xyz would be counted there instead of leaving the machine.
"""
from __future__ import annotations

import logging

import eth_account
import pytest
from hyperliquid.info import Info
from hyperliquid.utils.constants import MAINNET_API_URL, TESTNET_API_URL
from hyperliquid.utils.signing import sign_l1_action

from core.exchange.clock_skew import MAX_CLOCK_SKEW_MS
from core.exchange.errors import ClockSkewHalt, GatewayConfigError
from core.exchange.gateway import HyperliquidGateway
from core.exchange.models import OrderRequest
from core.exchange.network import resolve_venue
from core.exchange.nonce import NonceSource
from core.monitor.executor import Executor
from tests.support.connection_trap import ConnectionTrap
from tests.support.paper import post_exchange
from tests.support.reliability_rig import exchange_calls, fills_table, propose_exit, rig

NEAR_MISSES = [
    MAINNET_API_URL + "/", MAINNET_API_URL + "/exchange", MAINNET_API_URL.upper(), " " + MAINNET_API_URL,
    MAINNET_API_URL + "\n", "http://api.hyperliquid.xyz", "https://api.hyperliquid.xyz:443",
    "https://api.hyperliquid.xyz.evil.example", "https://api-hyperliquid.xyz", "https://api.hyperIiquid.xyz",
    "https://api.hyperliquid.xyz?x=1", "https://user@api.hyperliquid.xyz",
]
DAY_MS = 86_400_000


@pytest.fixture
def trap(monkeypatch):
    t = ConnectionTrap()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{t.port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # the paper exchange is still reached directly
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield t
    t.close()


def test_s19_the_trap_would_catch_a_real_mainnet_request(trap):
    with pytest.raises(Exception):  # noqa: B017 - any failure will do; the count is the point
        Info(MAINNET_API_URL, skip_ws=True, timeout=2)
    assert trap.connections >= 1


@pytest.mark.parametrize("url", NEAR_MISSES)
def test_s19_a_near_miss_url_is_never_mainnet_nor_accepted_under_any_network(url):
    assert url != MAINNET_API_URL  # the SDK would sign it as testnet: mainnet would not know the signer
    for network in ("mainnet", "testnet", "paper"):
        with pytest.raises(GatewayConfigError):
            resolve_venue(network, url, allow_mainnet=True)


def test_s19_no_flag_no_mainnet_exchange_and_no_request_leaves(tmp_path, trap, monkeypatch, record_property):
    r = rig(tmp_path)
    key = eth_account.Account.create().key.hex()
    monkeypatch.setenv("EVORISK_PRIVATE_KEY", key)
    attempts = [
        lambda: HyperliquidGateway("mainnet", private_key=key),
        lambda: HyperliquidGateway.from_env("mainnet"),
        lambda: HyperliquidGateway("mainnet", base_url=r.paper.base_url, private_key=key, allow_mainnet=True),
        lambda: HyperliquidGateway("testnet", base_url=MAINNET_API_URL, private_key=key),
        lambda: HyperliquidGateway("paper", base_url=MAINNET_API_URL, private_key=key),
        lambda: HyperliquidGateway("testnet", base_url=r.paper.base_url, private_key=key),
        *[(lambda u=u: HyperliquidGateway("mainnet", base_url=u, private_key=key, allow_mainnet=True))
          for u in NEAR_MISSES],
    ]
    for attempt in attempts:
        with pytest.raises(GatewayConfigError):
            attempt()
    allowed = HyperliquidGateway("mainnet", private_key=key, allow_mainnet=True)  # flag + exact URL: accepted...
    assert allowed.base_url == MAINNET_API_URL  # ...and lazily: the trap counts no connection below
    assert HyperliquidGateway("testnet").base_url == TESTNET_API_URL  # the default off paper is testnet
    calls = trap.connections + exchange_calls(r)
    record_property("guard_attempts", len(attempts))
    record_property("exchange_calls", calls)
    assert calls == 0


def test_s19_the_cli_offers_no_mainnet_to_approve_and_the_monitor_only_behind_the_flag_and_a_terminal(
        tmp_path, trap, capsys, monkeypatch):
    from console.cli import main

    monkeypatch.setenv("EVORISK_PRIVATE_KEY", "0x" + "4" * 64)
    db = str(tmp_path / "guard.db")
    monitor = ["monitor", "--headless", "--once", "--network", "mainnet", "--base-url", MAINNET_API_URL,
               "--address", "0x" + "0" * 40, "--db", db]
    refusals = {
        "invalid choice: 'mainnet'": ["approve", "1", "--network", "mainnet", "--base-url", MAINNET_API_URL,
                                      "--address", "0x" + "0" * 40, "--db", db],  # argparse refuses the choice
        "the monitor on mainnet needs --i-understand-mainnet": monitor,
        "needs a typed confirmation on a terminal": [*monitor, "--i-understand-mainnet"],  # pytest: no terminal
        "mainnet needs --i-understand-mainnet": ["console", "--network", "mainnet", "--db", db],
    }
    for said, argv in refusals.items():
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, err
    assert trap.connections == 0


def test_s20_nonces_are_max_of_now_and_last_plus_one_when_the_clock_steps_back():
    now = [1_700_000_000_000]
    source = NonceSource(lambda: now[0])
    first = source.next()
    now[0] -= 1000  # the clock steps back one second
    second, third = source.next(), source.next()
    now[0] += 5000
    assert [first, second, third, source.next()] == [first, first + 1, first + 2, first + 4000]


def test_s20_a_clock_one_second_behind_still_trades(tmp_path):
    r = rig(tmp_path)
    offset = [-1000]
    gw = HyperliquidGateway("paper", base_url=r.paper.base_url, private_key=r.agent_key,
                            account_address=r.paper.demo_address, now_ms=lambda: r.clock.now_ms() + offset[0])
    mid = gw.mids()["ETH"]
    [first] = gw.place_orders([OrderRequest("ETH", True, 0.1, mid * 1.01, tif="Ioc")])
    offset[0] = -2000  # and steps back again between two actions
    [second] = gw.place_orders([OrderRequest("ETH", True, 0.1, mid * 1.01, tif="Ioc")])
    assert first.status == second.status == "filled"
    assert abs(gw.venue_clock.skew_ms) < 5_000


def test_s20_a_clock_two_days_ahead_halts_signing_with_a_clear_error(tmp_path, caplog):
    r = rig(tmp_path)
    ahead = lambda: r.clock.now_ms() + 2 * DAY_MS  # noqa: E731
    gw = HyperliquidGateway("paper", base_url=r.paper.base_url, private_key=r.agent_key,
                            account_address=r.paper.demo_address, now_ms=ahead)
    assert gw.account_state(r.paper.demo_address).positions  # reads still work
    with pytest.raises(ClockSkewHalt, match="ahead of the exchange") as caught:
        gw.place_orders([OrderRequest("ETH", True, 0.1, gw.mids()["ETH"] * 1.01, tif="Ioc")])
    assert caught.value.skew_ms > MAX_CLOCK_SKEW_MS
    assert exchange_calls(r) == 0
    # the executor on that gateway sends nothing and leaves the intent to be reconciled
    caplog.set_level(logging.WARNING)
    action_id = propose_exit(r, coins=("ETH",))
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    report = Executor(gw, r.repo, r.paper.demo_address).execute(action_id, r.clock.now_ms())
    assert report.status == "sending" and exchange_calls(r) == 0 and fills_table(r) == []
    assert "halted: the local clock is" in caplog.text
    # Why halt: the venue would refuse that nonce anyway, with a message about nonces, not clocks.
    wallet = eth_account.Account.from_key(r.agent_key)
    action, nonce = {"type": "scheduleCancel"}, ahead()
    raw = post_exchange(r.paper.base_url, action, sign_l1_action(wallet, action, None, nonce, None, False), nonce,
                        timeout_s=2)
    assert raw["status"] == "err" and "Invalid nonce" in raw["response"]


def test_s20_a_cancel_or_dead_man_switch_still_travelling_after_its_expiry_is_refused_not_applied_late(tmp_path):
    """Cancels and scheduleCancel carry a signed expiresAfter like orders: held back on a slow link
    past it, the venue refuses them (an old disarm can never land after a newer arm)."""
    from core.exchange.errors import ExchangeTimeout
    from tests.support.exonce_rig import wait_for, wall_rig

    r = wall_rig(tmp_path, delay_before_s=0.0)
    try:
        user = r.paper.demo_address
        cloid = "0x" + "c" * 32
        [placed] = r.gateway.place_orders([OrderRequest("BTC", True, 0.01, r.gateway.mids()["BTC"] * 0.8,
                                                        cloid=cloid)])
        assert placed.status == "resting"
        slow = HyperliquidGateway("paper", base_url=r.proxy.base_url, private_key=r.agent_key, account_address=user,
                                  timeout_s=0.3)
        assert slow.action_expiry_ms() - slow.now_ms() == 1_600  # two timeouts and a second
        slow.sz_decimals("BTC")  # meta read now, before the link turns slow
        r.proxy.delay_before_s = 3.0  # past the 1.6 s expiry
        for late in (lambda: slow.cancel_by_cloid("BTC", cloid), lambda: slow.schedule_cancel(slow.now_ms() + 60_000)):
            replies = r.proxy.ledger.replies
            with pytest.raises(ExchangeTimeout):
                late()  # the client gives up at 0.3 s; the POST reaches the venue at 3 s
            wait_for(lambda: r.proxy.ledger.replies == replies + 1, "the held-back POST to reach the venue", 30)
        assert r.gateway.order_status_by_cloid(user, cloid).status == "open"  # the late cancel was refused
        assert r.paper.ledger.accounts[user].scheduled_cancel_ms is None  # the late arm too
        r.proxy.delay_before_s = 0.0
        assert slow.cancel_by_cloid("BTC", cloid) is None  # on time: canceled as usual
        assert r.gateway.order_status_by_cloid(user, cloid).status == "canceled"
    finally:
        r.stop()
