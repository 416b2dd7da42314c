"""RELIABILITY section 2, scenarios 5, 17 and 21: rejected orders are reported and never re-placed,
no approval means no request to /exchange, and the scheduleCancel dead-man switch."""
from __future__ import annotations

import logging

import pytest

from core.errors import BadInputError
from core.exchange.errors import DeadManSwitchUnavailable, OrderRejected
from core.exchange.models import OrderRequest, Trigger
from core.monitor.executor import ApprovalMissing, Executor
from core.monitor.orders import derive_cloid
from core.monitor.service import MonitorService, MonitorSettings
from tests.support.reliability_rig import exchange_calls, propose_exit, rig

# HYPERLIQUID error-responses page (RELIABILITY section 3): per-order errors of a processed action.
ORDER_REJECTIONS = [
    "Price must be divisible by tick size. asset=1",
    "Order must have minimum value of $10. asset=1",
    "Insufficient margin to place order. asset=1",
    "Post only order would have immediately matched, bbo was 3000.1@3000.2. asset=1",
    "Invalid TP/SL price. asset=1",
    "Order would increase open interest while open interest is capped. asset=1",
    "Order rejected due to price more aggressive than oracle while at open interest cap. asset=1",
    "Order would increase open interest too quickly. asset=1",
    "Order price too far from oracle. asset=1",
    "Order would cause position to exceed margin tier limit at current leverage. asset=1",
]
# Whole-action refusals (`{"status":"err"}`), section 3.
ACTION_REJECTIONS = [
    "L1 error: User or API Wallet 0x0000000000000000000000000000000000000bad does not exist.",
    "Too many cumulative requests sent (14295 > 14294) for cumulative volume traded $4295.52. "
    "Place taker orders to free up 1 request per USDC traded.",
    "Invalid nonce: duplicate nonce 1700000000000",
]
REDUCE_ONLY = "Reduce only order would increase position. asset=1"
LIQUIDITY_MISSES = ["Order could not immediately match against any resting orders. asset=1",
                    "No liquidity available for market order. asset=1"]


def _run_eth_exit(r, caplog):
    action_id = propose_exit(r, coins=("ETH",))
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    calls = exchange_calls(r)
    caplog.clear()
    report = Executor(r.gateway, r.repo, r.paper.demo_address).execute(action_id, r.clock.now_ms())
    return action_id, report, exchange_calls(r) - calls


@pytest.mark.parametrize("message,fault", [(m, "order_error") for m in ORDER_REJECTIONS + [REDUCE_ONLY]]
                         + [(m, "action_error") for m in ACTION_REJECTIONS])
def test_s05_each_documented_rejection_is_counted_alerted_and_never_re_placed(tmp_path, caplog, message, fault):
    caplog.set_level(logging.INFO)
    r = rig(tmp_path)
    before = r.position_sizes()
    r.gateway.mids()
    r.paper.inject_fault(fault, endpoint="exchange", count=3, message=message)  # enough for every retry
    action_id, report, posts = _run_eth_exit(r, caplog)
    assert posts == 1  # one POST; nothing re-placed automatically
    [leg] = report.legs
    assert leg.status == ("flat" if message == REDUCE_ONLY else "rejected") and leg.error == message
    order = r.repo.get_order(derive_cloid(r.repo.cloid_salt(), action_id, 0, 0))
    assert order.status == "error" and order.error == message
    assert message in r.repo.get_action(action_id).detail
    assert any(rec.levelno >= logging.WARNING and message in rec.getMessage() for rec in caplog.records)
    assert r.position_sizes() == before


@pytest.mark.parametrize("message", LIQUIDITY_MISSES)
def test_s05_an_ioc_that_found_no_liquidity_goes_out_again_as_a_new_wider_order(tmp_path, caplog, message):
    caplog.set_level(logging.INFO)
    r = rig(tmp_path)
    r.gateway.mids()
    r.paper.inject_fault("order_error", endpoint="exchange", message=message)
    action_id, report, posts = _run_eth_exit(r, caplog)
    [leg] = report.legs
    assert posts == 2 and leg.attempts == 2 and leg.status == "filled"  # SPEC 5: widening-slippage retry
    assert set(r.paper.posted_cloids.values()) == {1}  # a new cloid, never the same order twice
    first, second = r.repo.orders_for_action(action_id)
    assert first.error == message and second.limit_px > first.limit_px  # a buy-to-close, wider
    assert any(rec.levelno == logging.WARNING and message in rec.getMessage() for rec in caplog.records)


def test_s17_approval_bypass_attempts_make_no_exchange_call(tmp_path, record_property):
    r = rig(tmp_path)
    target = propose_exit(r)
    other = propose_exit(r, coins=("BTC",))
    executor = Executor(r.gateway, r.repo, r.paper.demo_address)
    store, now = r.repo.store, r.clock.now_ms()
    action = r.repo.get_action(target)

    def forge(sql: str, *params) -> None:
        with store.transaction() as conn:
            conn.execute(sql, params)

    def no_row():
        executor.execute(10_000, now)

    def pending():
        executor.execute(target, now)

    def status_without_approval():
        r.repo.set_action_status(target, "approved", now)
        executor.execute(target, now)

    def rejected_row():
        forge("INSERT INTO approvals (action_id, decision, decided_by, decided_ms, intent_hash)"
              " VALUES (?, 'rejected', 'bob', ?, ?)", target, now, action.intent_hash)
        executor.execute(target, now)

    def approved_after_expiry():
        forge("UPDATE approvals SET decision = 'approved', decided_ms = ? WHERE action_id = ?",
              action.expires_ms + 1, target)
        executor.execute(target, now)

    def tampered_orders():
        forge("UPDATE approvals SET decided_ms = ? WHERE action_id = ?", now, target)
        legs = store.query("SELECT orders_json FROM pending_actions WHERE id = ?", (target,))[0]["orders_json"]
        forge("UPDATE pending_actions SET orders_json = ? WHERE id = ?", legs.replace('"size": ', '"size": 1'), target)
        executor.execute(target, now)

    def approval_of_another_action():
        forge("UPDATE pending_actions SET status = 'approved' WHERE id = ?", other)
        forge("INSERT INTO approvals (action_id, decision, decided_by, decided_ms, intent_hash)"
              " VALUES (?, 'approved', 'mallory', ?, ?)", other, now, action.intent_hash)
        executor.execute(other, now)

    attempts = [no_row, pending, status_without_approval, rejected_row, approved_after_expiry, tampered_orders,
                approval_of_another_action]
    for attempt in attempts:
        with pytest.raises(ApprovalMissing):
            attempt()
    # and through the monitor, which marks such actions failed instead of sending
    service = MonitorService(r.gateway, r.repo, MonitorSettings(r.paper.demo_address, 1.0),
                             r.service().genome, r.clock.now_ms)
    assert service.execute_approved(now) == []
    assert {r.repo.get_action(i).status for i in (target, other)} == {"failed"}
    calls = exchange_calls(r)
    record_property("bypass_attempts", len(attempts) + 2)
    record_property("exchange_calls", calls)
    assert calls == 0 and not r.paper.posted_cloids


def test_s21_dead_man_switch_arms_at_least_5_s_ahead_and_cancels_every_order_without_flattening(tmp_path):
    r = rig(tmp_path)
    gw, demo = r.gateway, r.paper.demo_address
    mid = gw.mids()["BTC"]
    resting, stop = "0x" + "21" * 16, "0x" + "22" * 16
    placed = gw.place_orders([OrderRequest("BTC", True, 0.01, mid * 0.9, cloid=resting),
                              OrderRequest("BTC", False, 0.01, mid * 0.7, reduce_only=True, cloid=stop,
                                           trigger=Trigger(mid * 0.8, "sl"))])
    assert [p.status for p in placed] == ["resting", "resting"]
    calls = exchange_calls(r)
    with pytest.raises(BadInputError, match="at least 5 s ahead"):
        gw.schedule_cancel(r.clock.now_ms() + 4_999)
    assert exchange_calls(r) == calls  # refused here, not by the venue
    gw.schedule_cancel(r.clock.now_ms() + 5_000)
    sizes = r.position_sizes()
    r.clock.advance(4.0)
    assert len(gw.open_orders(demo)) == 2  # not yet
    r.clock.advance(2.0)
    assert gw.open_orders(demo) == []
    assert {gw.order_status_by_cloid(demo, c).status for c in (resting, stop)} == {"canceled"}  # stops too
    assert r.position_sizes() == sizes  # it never flattens
    gw.schedule_cancel(None)  # disarming is always allowed


def test_s21_volume_gate_is_a_typed_error_the_caller_can_live_without(tmp_path):
    r = rig(tmp_path, schedule_cancel_min_volume_usd=1_000_000.0)
    with pytest.raises(DeadManSwitchUnavailable, match="Cannot set scheduled cancel time until enough volume") as caught:
        r.gateway.schedule_cancel(r.clock.now_ms() + 10_000)
    assert isinstance(caught.value, OrderRejected) and "Required: $1000000" in caught.value.venue_message
    mid = r.gateway.mids()["ETH"]  # the gateway is still usable
    [result] = r.gateway.place_orders([OrderRequest("ETH", True, 0.01, mid * 0.9)])
    assert result.status == "resting"


def test_gap_a_the_monitor_reads_sz_decimals_through_the_public_gateway_api(tmp_path):
    from core.exchange.protocol import ExchangeGateway

    assert "signer_address" in ExchangeGateway.__annotations__ and callable(ExchangeGateway.sz_decimals)
    r = rig(tmp_path)
    assert {c: r.gateway.sz_decimals(c) for c in ("BTC", "ETH", "SOL")} == {"BTC": 5, "ETH": 4, "SOL": 2}
    with pytest.raises(BadInputError):
        r.gateway.sz_decimals("NOPE")
    asked: list[str] = []

    class Recording:
        def __init__(self, inner):
            self._inner = inner

        def sz_decimals(self, coin: str) -> int:
            asked.append(coin)
            return self._inner.sz_decimals(coin)

        def __getattr__(self, name):
            if name == "_sz_decimals":
                raise AttributeError(name)  # the private helper is gone from the contract
            return getattr(self._inner, name)

    service = MonitorService(Recording(r.gateway), r.repo, MonitorSettings(r.paper.demo_address, 1.0),
                             r.service().genome, r.clock.now_ms)
    service.run_cycle()
    service.run_cycle()
    assert sorted(asked) == ["BTC", "ETH", "SOL"]  # asked once per coin, then cached
