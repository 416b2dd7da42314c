"""RELIABILITY section 2, scenarios 1-4 and 15: the venue is down, slow, rate limiting, garbled, or
drops the reply after booking. Through the real SDK against the paper exchange on loopback."""
from __future__ import annotations

import logging

import pytest

from core.exchange.errors import ReplyLost
from core.exchange.models import OrderRequest
from core.monitor.executor import Executor
from core.monitor.orders import derive_cloid
from tests.support.reliability_rig import exchange_calls, fills_table, propose_exit, rig


class StopsAfterAccountRead:
    """The real gateway, except that the server dies right after a poll's account read."""

    def __init__(self, rig_):
        self._rig = rig_

    def account_state(self, address):
        state = self._rig.gateway.account_state(address)
        self._rig.paper.stop()
        return state

    def __getattr__(self, name):
        return getattr(self._rig.gateway, name)


def test_s01_info_down_mid_poll_is_stale_with_its_age_and_sends_nothing(tmp_path):
    from core.monitor.service import MonitorService, MonitorSettings

    r = rig(tmp_path)
    service = r.service()
    good = service.run_cycle()
    calls, actions = exchange_calls(r), len(r.repo.list_actions())
    dying = MonitorService(StopsAfterAccountRead(r), r.repo, MonitorSettings(r.paper.demo_address, 1.0),
                           service.genome, r.clock.now_ms)
    dying.last_snapshot = good
    ages = []
    for _ in range(4):
        r.clock.advance(1.0)
        snap = dying.run_cycle() if not ages else service.run_cycle()
        # SPEC 5: a warning while the data is under 3 intervals old, STALE from then on
        expected = "NORMAL" if snap.data_age_s < 3 else "STALE"
        problem = snap.poll_warning if expected == "NORMAL" else snap.data_error
        assert snap.breaker_state == expected and problem.startswith("exchange unavailable")
        assert snap.equity_usd == good.equity_usd and snap.pending_actions == ()
        ages.append(snap.data_age_s)
        if len(ages) == 1:  # the dying process's memory carries on in the next one
            service.last_snapshot, service.state = snap, dying.state
    assert ages == sorted(ages) and ages[0] > 0  # the age keeps growing while down
    assert ages[-1] >= 3  # long enough down to be STALE
    assert [e["to_state"] for e in r.repo.breaker_events()] == ["STALE"]  # no breaker fires on missing data
    assert exchange_calls(r) == calls and len(r.repo.list_actions()) == actions


def test_s01_after_a_restart_stale_keeps_the_last_good_numbers(tmp_path):
    r = rig(tmp_path)
    good = r.service().run_cycle()
    r.paper.stop()
    for _ in range(2):  # two restarts: the STALE rows written in between must not replace the good one
        restarted = r.service()  # a new process: it knows only the database
        r.clock.advance(5.0)
        snap = restarted.run_cycle()
        assert snap.breaker_state == "STALE" and snap.data_error.startswith("exchange unavailable")
        assert (snap.equity_usd, snap.drawdown, snap.drawdown_ratio) == (good.equity_usd, good.drawdown,
                                                                         good.drawdown_ratio)
        assert snap.positions == good.positions and snap.positions
        assert snap.last_ok_poll_ms == good.time_ms and snap.data_age_s > 0


def test_s02_slow_info_is_a_stale_cycle_then_retried(tmp_path):
    r = rig(tmp_path, timeout_s=0.5)
    service = r.service()
    good = service.run_cycle()
    r.paper.inject_fault("latency", endpoint="info", latency_ms=1200)
    r.clock.advance(1.0)
    slow = service.run_cycle()  # one failed poll: a warning on the last good numbers, not STALE yet
    assert slow.breaker_state == "NORMAL" and "no answer within 0.5 s" in slow.poll_warning
    assert slow.data_error is None and slow.data_age_s == 1.0
    assert slow.equity_usd == good.equity_usd
    r.step()
    assert service.run_cycle().breaker_state == "NORMAL"
    assert exchange_calls(r) == 0


def test_s02_slow_exchange_sends_each_cloid_once(tmp_path, caplog):
    r = rig(tmp_path, timeout_s=0.5)
    action_id = propose_exit(r)
    legs = r.repo.get_action(action_id).legs
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    r.gateway.schedule_cancel(None)  # builds the SDK Exchange now, so its meta reads take no fault
    # The first order is booked, its reply comes too late; the cloid lookup right after is slow too.
    r.paper.inject_fault("latency", endpoint="exchange", latency_ms=1200)
    r.paper.inject_fault("latency", endpoint="info", latency_ms=1200)
    executor = Executor(r.gateway, r.repo, r.paper.demo_address)
    first = executor.execute(action_id, r.clock.now_ms())
    assert first.status == "sending" and first.legs[0].status == "unknown"  # outcome unknown, nothing resent
    assert "looking it up by cloid" in caplog.text
    r.clock.advance(1.0)
    assert executor.reconcile_unknown(r.clock.now_ms()) == 1  # found by cloid: filled
    second = executor.execute(action_id, r.clock.now_ms())
    assert second.status == "done"
    ours = [derive_cloid(r.repo.cloid_salt(), action_id, leg.leg, 0) for leg in legs]
    assert dict(r.paper.posted_cloids) == {c: 1 for c in ours}  # exactly 1 POST per cloid
    assert r.position_sizes() == {}
    assert sorted(f["cloid"] for f in fills_table(r)) == sorted(ours)


@pytest.mark.parametrize("body", ["null", "{}", "text"])
def test_s03_rate_limit_backs_off_for_retry_after_and_is_never_a_drawdown(tmp_path, body):
    r = rig(tmp_path)
    service = r.service()
    good = service.run_cycle()
    hwm = service.state.hwm_usd
    r.paper.inject_fault("http_429", endpoint="info", body=body, retry_after_s=7)
    r.clock.advance(1.0)
    before = r.paper.request_counts["info"]
    snap = service.run_cycle()
    assert snap.breaker_state == "NORMAL" and "rate limited" in snap.poll_warning  # one failure: a warning
    assert (snap.equity_usd, snap.drawdown) == (good.equity_usd, good.drawdown)  # never read as a drawdown
    assert snap.pending_actions == () and service.state.hwm_usd == hwm
    assert r.paper.request_counts["info"] == before + 1  # only the request that met the 429
    assert service.next_delay_s() == pytest.approx(7.0)  # the timer waits out Retry-After
    for _ in range(6):
        r.clock.advance(1.0)
        waiting = service.run_cycle()
        stale = waiting.data_age_s >= 3  # no good poll for 3 intervals
        problem = waiting.data_error if stale else waiting.poll_warning
        assert waiting.breaker_state == ("STALE" if stale else "NORMAL") and "backing off" in problem
    assert r.paper.request_counts["info"] == before + 1  # nothing was asked during the back-off
    assert service.next_delay_s() == pytest.approx(1.0)
    r.step()
    assert service.run_cycle().breaker_state == "NORMAL"
    assert [e["to_state"] for e in r.repo.breaker_events()] == ["STALE", "NORMAL"]
    assert r.repo.list_actions() == [] and exchange_calls(r) == 0


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
def test_s04_malformed_reply_keeps_the_last_good_snapshot(tmp_path, mode):
    r = rig(tmp_path)
    service = r.service()
    good = service.run_cycle()
    r.paper.inject_fault("malformed", endpoint="info", mode=mode)
    r.clock.advance(1.0)
    snap = service.run_cycle()  # one garbled reply: a warning, the last good numbers kept
    assert snap.breaker_state == "NORMAL" and snap.poll_warning.startswith("exchange unavailable")
    assert snap.positions == good.positions and snap.equity_usd == good.equity_usd
    assert snap.pending_actions == () and service.state.hwm_usd == good.hwm_usd
    r.step()
    assert service.run_cycle().breaker_state == "NORMAL"


def test_s15_a_dropped_reply_raises_reply_lost_not_unreachable(tmp_path):
    r = rig(tmp_path)
    mid = r.gateway.mids()["ETH"]
    r.paper.inject_fault("drop", endpoint="exchange")
    cloid = "0x" + "15" * 16
    with pytest.raises(ReplyLost) as caught:
        r.gateway.place_orders([OrderRequest("ETH", True, 0.1, mid * 1.01, tif="Ioc", cloid=cloid)])
    assert caught.value.action_sent
    assert r.gateway.order_status_by_cloid(r.paper.demo_address, cloid).status == "filled"  # it was booked


def test_s15_reply_dropped_after_booking_gives_one_fill_reconciled_by_cloid(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    r = rig(tmp_path)
    action_id = propose_exit(r, coins=("ETH",))
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    r.paper.inject_fault("drop", endpoint="exchange")
    report = Executor(r.gateway, r.repo, r.paper.demo_address).execute(action_id, r.clock.now_ms())
    assert report.status == "done" and "looking it up by cloid" in caplog.text
    cloid = derive_cloid(r.repo.cloid_salt(), action_id, 0, 0)
    assert dict(r.paper.posted_cloids) == {cloid: 1}
    venue_fills = [f for f in r.paper.ledger.accounts[r.paper.demo_address].fills if f.get("cloid") == cloid]
    assert len(venue_fills) == 1
    [row] = fills_table(r)
    assert row["cloid"] == cloid and row["size"] == pytest.approx(float(venue_fills[0]["sz"]))
    assert row["px"] == pytest.approx(float(venue_fills[0]["px"]))  # the avg px, read from userFills
    assert r.repo.get_order(cloid).avg_px == pytest.approx(row["px"])
