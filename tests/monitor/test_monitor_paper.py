"""The monitor against the paper exchange through the real SDK: the crash walk, approvals,
stale data and restarts."""
from __future__ import annotations

import pytest

from core.monitor.executor import ApprovalMissing, Executor
from core.monitor.records import ActionStateError
from tests.support.monitor_rig import CALM, SLOW_CRASH, make_rig


@pytest.fixture
def crash(tmp_path):
    return make_rig(tmp_path, SLOW_CRASH)  # stopped by tests/conftest.py


@pytest.fixture
def calm(tmp_path):
    return make_rig(tmp_path, CALM)  # stopped by tests/conftest.py


def walk_to(rig, service, target: str, max_minutes: int = 40):
    states, snap = [], None
    for _ in range(max_minutes):
        rig.step()
        snap = service.run_cycle()
        if not states or states[-1] != snap.breaker_state:
            states.append(snap.breaker_state)
        if snap.breaker_state == target:
            return states, snap
    raise AssertionError(f"never reached {target}: {states}")


def test_crash_walks_the_states_in_order_and_proposes_the_right_orders(crash):
    service = crash.service()
    first = service.run_cycle()
    sizes = crash.position_sizes()
    states, snap = walk_to(crash, service, "EMERGENCY")
    walked = [first.breaker_state] + [s for s in states if s != first.breaker_state]
    assert walked == ["NORMAL", "TIGHTENED", "REDUCING", "EMERGENCY"]
    events = [(e["from_state"], e["to_state"]) for e in crash.repo.breaker_events()]
    assert events == [("NORMAL", "TIGHTENED"), ("TIGHTENED", "REDUCING"), ("REDUCING", "EMERGENCY")]
    actions = {a.kind: a for a in crash.repo.list_actions()}
    reduce, exit_all = actions["reduce"], actions["exit_all"]
    assert reduce.status == "expired" and "superseded" in reduce.detail
    for action, fraction in ((reduce, 0.5), (exit_all, 1.0)):
        legs = {leg.coin: leg for leg in action.legs}
        assert {c: leg.side for c, leg in legs.items()} == {"BTC": "sell", "ETH": "buy", "SOL": "sell"}
        for coin, leg in legs.items():
            assert leg.reduce_only and leg.tif == "Ioc" and leg.cloid and len(leg.cloid) == 34
            assert leg.size == pytest.approx(abs(sizes[coin]) * fraction, abs=10 ** -2)
    assert [a.id for a in snap.pending_actions if a.status == "pending"] == [exit_all.id]
    stops = actions["protective_stops"]
    assert stops.auto_approved_by == "policy:tightened" and stops.status == "done"
    assert len(snap.protective_stops) == 3


def test_nothing_is_sent_before_approval_and_approve_sends_exactly_the_listed_orders(crash):
    service = crash.service()
    service.run_cycle()
    walk_to(crash, service, "EMERGENCY")
    exit_all = next(a for a in crash.repo.list_actions() if a.kind == "exit_all")
    posts, booked_before = crash.order_posts(), len(crash.order_cloids())
    for _ in range(3):  # cycles without approval send nothing
        crash.step()
        service.run_cycle()
    assert crash.order_posts() == posts
    crash.repo.approve_action(exit_all.id, "alice", crash.clock.now_ms())
    service.run_cycle()
    booked = {o.cloid.lower(): o for o in crash.paper.ledger.orders.values() if o.cloid}
    for leg in exit_all.legs:
        order = booked[leg.cloid]
        assert (order.coin, order.is_buy, order.orig_sz, order.reduce_only) == (leg.coin, leg.is_buy, leg.size, True)
        assert order.limit_px == pytest.approx(leg.limit_px)
    assert len(crash.order_cloids()) == booked_before + len(exit_all.legs)
    assert len(set(crash.order_cloids())) == len(crash.order_cloids())
    assert crash.position_sizes() == {}
    assert crash.repo.get_action(exit_all.id).status == "done"


def test_approval_bypass_attempts_send_nothing(crash):
    service = crash.service()
    service.run_cycle()
    walk_to(crash, service, "EMERGENCY")
    exit_all = next(a for a in crash.repo.list_actions() if a.kind == "exit_all")
    executor = Executor(crash.gateway, crash.repo, crash.paper.demo_address)
    posts, now = crash.order_posts(), crash.clock.now_ms()
    with pytest.raises(ApprovalMissing):
        executor.execute(10_000, now)  # no such row
    with pytest.raises(ApprovalMissing):
        executor.execute(exit_all.id, now)  # pending, not approved
    crash.repo.set_action_status(exit_all.id, "approved", now)  # status forged without an approval row
    with pytest.raises(ApprovalMissing):
        executor.execute(exit_all.id, now)
    crash.repo.set_action_status(exit_all.id, "pending", now)
    with pytest.raises(ActionStateError):  # expired before the decision
        crash.repo.approve_action(exit_all.id, "alice", exit_all.expires_ms + 1)
    with pytest.raises(ApprovalMissing):
        executor.execute(exit_all.id, now)
    reduce = next(a for a in crash.repo.list_actions() if a.kind == "reduce")
    with pytest.raises(ApprovalMissing):  # the approval of another action, or tampered orders
        with crash.repo.store.transaction() as conn:
            conn.execute("UPDATE pending_actions SET status='approved', orders_json=? WHERE id=?",
                         (crash.repo.store.query("SELECT orders_json FROM pending_actions WHERE id=?",
                                                 (exit_all.id,))[0]["orders_json"], reduce.id))
            conn.execute("INSERT INTO approvals (action_id, decision, decided_by, decided_ms, intent_hash)"
                         " VALUES (?, 'approved', 'mallory', ?, ?)", (reduce.id, now, exit_all.intent_hash))
        executor.execute(reduce.id, now)
    assert crash.order_posts() == posts


def test_stale_feed_is_stale_and_proposes_nothing(calm):
    service = calm.service()
    service.run_cycle()
    calm.paper.switch_scenario("stale-feed")
    hwm = service.state.hwm_usd
    seen = []
    for _ in range(8):
        calm.step()
        snap = service.run_cycle()
        seen.append(snap.breaker_state)
        assert snap.pending_actions == ()
    assert "STALE" in seen
    assert service.state.hwm_usd == hwm
    assert any(e["to_state"] == "STALE" for e in calm.repo.breaker_events())


def test_5xx_and_unreachable_are_stale_with_the_last_numbers_kept(calm):
    service = calm.service()
    good = service.run_cycle()
    calm.paper.inject_fault("http_5xx", count=10, endpoint="info")
    calm.step()
    snap = service.run_cycle()  # one failed poll: a warning on the last good numbers
    assert snap.breaker_state == "NORMAL" and "exchange unavailable" in snap.poll_warning
    assert snap.equity_usd == good.equity_usd and snap.positions == good.positions
    assert snap.pending_actions == () and service.state.hwm_usd == good.hwm_usd
    calm.clock.advance(3.0)  # 3 intervals without a good poll: STALE (SPEC 5)
    snap = service.run_cycle()
    assert snap.breaker_state == "STALE" and "exchange unavailable" in snap.data_error
    assert snap.equity_usd == good.equity_usd and snap.positions == good.positions
    calm.paper.stop()
    snap = service.run_cycle()
    assert snap.breaker_state == "STALE" and snap.last_ok_poll_ms == good.time_ms


def test_restart_keeps_the_high_water_mark_and_a_reset_is_an_event(crash):
    service = crash.service()
    service.run_cycle()
    for _ in range(6):
        crash.step()
        service.run_cycle()
    peak = service.state.hwm_usd
    restarted = crash.service()  # a new process: everything it knows comes from the database
    assert restarted.state.hwm_usd == peak
    snap = restarted.run_cycle()
    assert snap.hwm_usd >= peak and snap.drawdown > 0
    crash.repo.set_value("reset_request", {"by": "alice"}, crash.clock.now_ms())
    snap = restarted.run_cycle()
    assert snap.hwm_usd == pytest.approx(snap.equity_usd) and snap.breaker_state == "NORMAL"
    last = crash.repo.breaker_events()[-1]
    assert last["actor"] == "alice" and last["to_state"] == "NORMAL"


def test_a_promotion_is_picked_up_at_the_next_cycle(calm):
    from core.monitor.genome_source import GenomeSource
    from core.monitor.service import MonitorService, MonitorSettings
    from tests.support.monitor_rig import test_genes

    service = MonitorService(calm.gateway, calm.repo, MonitorSettings(calm.paper.demo_address, 1.0),
                             GenomeSource(calm.repo), calm.clock.now_ms)
    assert service.run_cycle().genome_label == "default"
    pid = calm.repo.promote(list(test_genes()), "tight", "alice", calm.clock.now_ms(), run_id=3,
                            oos_metrics={"sharpe": 1.2})
    snap = service.run_cycle()
    assert snap.genome_label == f"promotion #{pid} tight" and snap.max_drawdown_pct == pytest.approx(0.05)


def test_the_timer_reschedules_itself_and_polls_never_overlap(calm):
    import threading

    from core.monitor.service import MonitorService, MonitorSettings
    from core.genome import decode
    from tests.support.monitor_rig import test_genes

    params, got, active, overlaps = decode(test_genes()), [], [], []
    done = threading.Event()

    def on_snapshot(snap):
        overlaps.append(len(active))
        got.append(snap)
        if len(got) >= 3:
            done.set()

    service = MonitorService(calm.gateway, calm.repo, MonitorSettings(calm.paper.demo_address, 0.05),
                             lambda: (params, "t"), calm.clock.now_ms, on_snapshot)
    real = service.run_cycle

    def tracked():
        active.append(1)
        try:
            return real()
        finally:
            active.pop()

    service.run_cycle = tracked  # type: ignore[method-assign]
    service.start()
    assert done.wait(10)
    service.stop()
    assert all(n == 1 for n in overlaps) and len(got) >= 3
    assert all(s.time_ms is not None for s in got)


def test_a_restarted_monitor_on_a_restarted_venue_is_not_stale(tmp_path):
    """The venue clock a sped-up paper demo reached is persisted; a new paper exchange starts at the
    present, behind it. The restarted monitor judges the feed from its own polls (freshness.forget_feed)."""
    first = make_rig(tmp_path, CALM)
    service = first.service()
    service.run_cycle()
    first.step(minutes=600)  # the demo's venue clock runs ten hours ahead of the present
    assert service.run_cycle().breaker_state != "STALE"
    first.paper.stop()
    again = make_rig(tmp_path, CALM)  # same database, a new venue starting at the present
    restarted = again.service()
    snapshots = []
    for _ in range(6):  # twice the STALE window of three poll intervals
        snapshots.append(restarted.run_cycle())
        again.step()
    assert [s.breaker_state for s in snapshots if s.breaker_state == "STALE"] == []
    assert all(s.equity_usd is not None for s in snapshots)  # every poll was taken as live data
