"""A leveraged demo account on the paper exchange, through the real SDK: the venue's
liquidation price reaches the Live rows, the genome's too-wide stop is clamped inside it (row,
event log and the stop order resting on the exchange), and a close liquidation raises an alert."""
from __future__ import annotations

import logging

import pytest

from core.alerts.dispatcher import AlertDispatcher, DispatchSettings
from core.genome import decode
from core.monitor.service import MonitorService, MonitorSettings
from storage.alert_repo import AlertRepo
from tests.test_monitor_support import INTERVAL_S, make_rig, test_genes

LEVERAGED = {"name": "leveraged-crash", "description": "10x long into a 20 % fall",
             "events": [{"kind": "crash", "at_min": 1, "over_min": 100, "pct": 20}],
             "demo_account": {"cash_usd": 20_000.0,
                              "positions": [{"coin": "BTC", "side": "long", "notional_usd": 200_000.0}]}}


@pytest.fixture
def rig(tmp_path):
    r = make_rig(tmp_path, LEVERAGED)
    yield r
    r.paper.stop()


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
