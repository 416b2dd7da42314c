"""A leveraged demo account on the paper exchange, through the real SDK: the venue's
liquidation price reaches the Live rows, the genome's too-wide stop is clamped inside it (row,
event log and the stop order resting on the exchange), and a close liquidation raises an alert."""
from __future__ import annotations

import logging

import eth_account
import pytest

from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.exchange.gateway import HyperliquidGateway
from core.exchange.paper import PaperSettings
from core.genome import decode
from core.monitor.service import MonitorService, MonitorSettings
from storage.alert_repo import AlertRepo
from tests.support.monitor_rig import INTERVAL_S, make_rig, test_genes
from tests.support.paper import start_paper

LEVERAGED = {"name": "leveraged-crash", "description": "10x long into a 20 % fall",
             "events": [{"kind": "crash", "at_min": 1, "over_min": 100, "pct": 20}],
             "demo_account": {"cash_usd": 20_000.0,
                              "positions": [{"coin": "BTC", "side": "long", "notional_usd": 200_000.0}]}}


@pytest.fixture
def rig(tmp_path):
    return make_rig(tmp_path, LEVERAGED)  # stopped by tests/conftest.py


def test_a_stop_beyond_liquidation_is_clamped_on_the_exchange_and_a_close_liquidation_alerts(rig, caplog):
    repo = AlertRepo(rig.repo.store)
    alerts = AlertDispatcher([], repo, rig.clock.now_ms, DispatchSettings((0.01,), 0)).start()
    params = decode(test_genes())  # 20 % base stop: beyond a 10x long's liquidation
    service = MonitorService(rig.gateway, rig.repo, MonitorSettings(rig.paper.demo_address, INTERVAL_S),
                             lambda: (params, "test"), rig.clock.now_ms, alerts=alerts)
    caplog.set_level(logging.WARNING, logger="evorisk.monitor")
    first = service.run_cycle()
    (row,) = first.positions
    assert row.liquidation_px is not None and 0.05 < row.dist_liquidation < 0.11
    assert row.liquidation_inside_stop and row.stop_clamped_px is not None
    assert row.liquidation_px < row.stop_clamped_px < row.mark_px
    assert sum("stop clamped" in r.getMessage() for r in caplog.records) == 1
    stored = rig.repo.latest_snapshots(1)[0]  # the risk snapshot row in SQLite carries the perp risk
    assert stored["positions"][0]["liquidation_px"] == row.liquidation_px
    assert stored["positions"][0]["stop_clamped_px"] == row.stop_clamped_px
    assert stored["margin_ratio"] == first.margin_ratio and stored["account_leverage"] > 5
    placed = None
    for _ in range(60):
        rig.step()
        snap = service.run_cycle()
        if snap.protective_stops and placed is None:
            placed = snap.protective_stops[0]["trigger_px"]
            clamp = snap.positions[0].stop_clamped_px
            assert placed == pytest.approx(clamp, rel=2e-3)  # the resting stop sits at the clamp
            assert placed > snap.positions[0].liquidation_px
        if not snap.positions:
            break
    assert placed is not None, "TIGHTENED never placed its stop"
    assert not snap.positions, "the clamped stop closed the position before liquidation"
    assert sum("stop clamped" in r.getMessage() for r in caplog.records) == 1  # said once, not every poll
    assert alerts.wait_idle(10)
    alerts.stop()
    kinds = [e["kind"] for e in repo.recent(100)]
    assert "liquidation" in kinds and "breaker" in kinds


def test_a_funding_payment_shows_in_the_position_and_in_equity(tmp_path):
    """Across an hour boundary the venue charges funding: the row's funding since open is the sum
    of the account's userFunding payments, the rate is the venue's, and equity moved by the
    payment on top of the price move."""
    calm = {"name": "calm-funding", "events": [], "demo_account": {
        "cash_usd": 100_000.0, "positions": [{"coin": "BTC", "side": "long", "notional_usd": 200_000.0}]}}
    rig = make_rig(tmp_path, calm)
    params = decode(test_genes())
    service = MonitorService(rig.gateway, rig.repo, MonitorSettings(rig.paper.demo_address, INTERVAL_S),
                             lambda: (params, "test"), rig.clock.now_ms)
    start_ms = rig.gateway.account_state(rig.paper.demo_address).time_ms
    before = rig.gateway.account_state(rig.paper.demo_address)
    first = service.run_cycle()
    assert first.positions[0].funding_since_open_usd == 0.0
    rig.paper.fast_forward(61)  # past the next hour: one payment at least
    rig.clock.advance(61)
    snap = service.run_cycle()
    after = rig.gateway.account_state(rig.paper.demo_address)
    payments = rig.gateway.user_funding(rig.paper.demo_address, start_ms)
    assert payments and all(p.coin == "BTC" for p in payments)
    received = sum(p.usdc for p in payments)
    (row,) = snap.positions
    assert received != 0.0 and row.funding_since_open_usd == pytest.approx(received, abs=1e-6)
    price_move = after.positions[0].unrealized_pnl_usd - before.positions[0].unrealized_pnl_usd
    assert after.equity_usd - before.equity_usd == pytest.approx(price_move + received, abs=0.01)
    assert snap.equity_usd == pytest.approx(after.equity_usd, abs=1e-6)  # the snapshot shows that equity
    ctx = rig.gateway.asset_contexts()["BTC"]
    assert row.funding_rate_hourly == pytest.approx(ctx.funding_rate_hourly)
    assert row.funding_rate_annual == pytest.approx(ctx.funding_rate_hourly * 24 * 365)


def test_funding_rates_are_read_at_most_once_a_minute_within_the_venues_weight_budget(clock, monitor_repo):
    """Polling every second costs clearinghouseState + allMids (2 + 2) a poll; metaAndAssetCtxs
    (20) once a minute keeps 60 polls a minute inside a 600-weight budget. Asked on every poll it
    would cost 1,440 a minute and the venue would answer 429 (the cycle would go STALE)."""
    paper = start_paper(PaperSettings(scenario="demo", speed=1.0, weight_budget_per_minute=600), clock)
    agent = eth_account.Account.create()
    paper.approve_agent(paper.demo_address, agent.address)
    gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=agent.key.hex(),
                                 account_address=paper.demo_address, timeout_s=2.0, now_ms=clock.now_ms)
    params = decode(test_genes())
    service = MonitorService(gateway, monitor_repo, MonitorSettings(paper.demo_address, 1.0), lambda: (params, "t"),
                             clock.now_ms)
    problems = []
    for _ in range(150):  # two and a half minutes of one-second polls (a market minute each)
        paper.fast_forward(1.0)
        clock.advance(1.0)
        snap = service.run_cycle()
        if snap.data_error:
            problems.append(snap.data_error)
    assert problems == []
    assert all(p.funding_rate_hourly is not None for p in snap.positions)


@pytest.mark.parametrize("side", ("long", "short"))
def test_sizing_liquidation_estimate_is_the_venues_liquidation_price(tmp_path, side):
    """The formula `evorisk size` uses (policy.cross_liquidation_px) gives the liquidationPx the
    paper venue reports for the same book, so a size it accepts liquidates where it said."""
    from core import policy

    book = {"name": "one", "events": [], "demo_account": {
        "cash_usd": 10_000.0, "positions": [{"coin": "ETH", "side": side, "notional_usd": 100_000.0}]}}
    rig = make_rig(tmp_path, book)
    acct = rig.gateway.account_state(rig.paper.demo_address)
    (pos,) = acct.positions
    max_leverage = rig.gateway.max_leverages()["ETH"]
    estimate = policy.cross_liquidation_px(pos.mark_px, pos.size, acct.equity_usd, 0.0, max_leverage)
    assert estimate == pytest.approx(pos.liquidation_px, rel=1e-5)  # the venue rounds to 5 significant figures
    maintenance = abs(pos.size) * pos.mark_px * policy.maintenance_fraction(max_leverage)
    assert acct.maintenance_margin_usd == pytest.approx(maintenance, rel=1e-6)
