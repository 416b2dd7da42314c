"""The exactly-once rules (core/monitor/claims.py) and their SQL (storage/claim_repo.py) on a real
SQLite file, plus the re-send after `not_found` through the real SDK and the paper exchange."""
from __future__ import annotations

import os
import subprocess
import sys

from core.monitor import claims
from core.monitor.claims import ClaimState, MonitorLease
from core.monitor.executor import Executor
from core.exchange.gateway import HyperliquidGateway
from core.monitor.orders import derive_cloid
from tests.support.exonce_rig import rows_match_venue, small_reduce, wait_for, wall_rig
from tests.support.reliability_rig import propose_exit, rig

NOW = 1_800_000_000_000


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_claim_is_free_ours_expired_or_of_a_dead_process_and_otherwise_held():
    me = claims.new_owner("test")
    live_other = f"executor@{claims.this_host()}:{os.getpid()}:beef"
    dead_other = f"executor@{claims.this_host()}:{dead_pid()}:dead"
    remote = "executor@some-other-host:1:cafe"
    assert claims.decide_claim(ClaimState(1, "approved", None, None), me, NOW) == claims.ClaimDecision(True, False)
    assert claims.decide_claim(ClaimState(1, "sending", me, NOW + 1), me, NOW).allowed
    assert not claims.decide_claim(ClaimState(1, "sending", live_other, NOW + 1), me, NOW).allowed
    assert not claims.decide_claim(ClaimState(1, "sending", remote, NOW + 1), me, NOW).allowed  # never guessed dead
    expired = claims.decide_claim(ClaimState(1, "sending", remote, NOW - 1), me, NOW)
    assert expired.allowed and expired.take_over  # a take-over: reconcile every row first
    gone = claims.decide_claim(ClaimState(1, "sending", dead_other, NOW + 60_000), me, NOW)
    assert gone.allowed and gone.take_over


def test_unknown_oid_is_believed_only_after_the_expiry_and_never_during_our_own_post():
    assert not claims.unknown_means_never_booked(NOW + 1, NOW, posting_here=False)
    assert not claims.unknown_means_never_booked(NOW - claims.TRUST_MARGIN_MS, NOW, posting_here=False)
    assert claims.unknown_means_never_booked(NOW - claims.TRUST_MARGIN_MS - 1, NOW, posting_here=False)
    assert not claims.unknown_means_never_booked(NOW - 10**9, NOW, posting_here=True)


def test_the_claim_is_one_compare_and_set_and_a_stale_view_loses(tmp_path):
    r = rig(tmp_path)
    action_id = propose_exit(r)
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    seen = r.repo.get_claim(action_id)
    assert r.repo.take_claim(seen, "a", NOW, 5_000)
    assert not r.repo.take_claim(seen, "b", NOW, 5_000)  # b decided on a view that is no longer true
    assert not r.repo.renew_claim(action_id, "b", NOW, 5_000) and r.repo.renew_claim(action_id, "a", NOW, 5_000)
    r.repo.release_claim(action_id, "b", NOW)  # not b's to release
    assert r.repo.get_claim(action_id).owner == "a"
    r.repo.release_claim(action_id, "a", NOW)
    assert r.repo.get_claim(action_id).owner is None


def test_a_monitor_lease_is_taken_only_from_a_stale_holder(tmp_path):
    r = rig(tmp_path)
    mine = MonitorLease("0xabc", "m1", os.getpid(), claims.this_host(), NOW, NOW, NOW + 15_000)
    assert r.repo.take_monitor_lease(mine, None)
    assert not r.repo.take_monitor_lease(MonitorLease("0xabc", "m2", 1, "h", NOW, NOW, NOW + 1), None)
    held = r.repo.monitor_lease("0xABC")
    assert not claims.lease_is_stale(held, NOW + 1) and claims.lease_is_stale(held, NOW + 15_001)
    dead = MonitorLease("0xabc", "m0", dead_pid(), claims.this_host(), NOW, NOW, NOW + 15_000)
    assert claims.lease_is_stale(dead, NOW)  # its process is gone from this host
    assert r.repo.heartbeat_monitor_lease("0xabc", "m1", NOW + 5, 15_000)
    assert not r.repo.take_monitor_lease(MonitorLease("0xabc", "m2", 1, "h", NOW, NOW, NOW + 1), held)  # renewed
    assert not r.repo.heartbeat_monitor_lease("0xabc", "m2", NOW, 15_000)


def test_the_re_send_after_not_found_commits_intent_before_its_post(tmp_path):
    # The wall-clock rig: the venue's expiresAfter check and its Date header share one clock.
    w = wall_rig(tmp_path, delay_before_s=0.0)
    try:
        action_id = small_reduce(w)
        legs = w.repo.get_action(action_id).legs
        cloids = [derive_cloid(w.repo.cloid_salt(), action_id, leg.leg, 0) for leg in legs]
        gateway = HyperliquidGateway("paper", base_url=w.proxy.base_url, private_key=w.agent_key,
                                     account_address=w.paper.demo_address, timeout_s=0.5)
        executor = Executor(gateway, w.repo, w.paper.demo_address)
        w.proxy.fail_next(len(legs))  # 503: never booked, outcome unknown
        first = executor.execute(action_id, gateway.now_ms())
        assert first.status == "sending" and {w.repo.get_order(c).status for c in cloids} == {"intent"}
        executor.reconcile_unknown(gateway.now_ms())
        assert {w.repo.get_order(c).status for c in cloids} == {"intent"}  # too early to believe unknownOid
        wait_for(lambda: executor.reconcile_unknown(gateway.now_ms()) == 0, "the 503'd POSTs to expire", 20)
        assert {w.repo.get_order(c).status for c in cloids} == {"not_found"}
        seen_at_post: list[str] = []
        real = gateway.place_orders

        def spy(orders, grouping="na", expires_after_ms=None):
            seen_at_post.append(w.repo.get_order(orders[0].cloid).status)  # what a kill -9 now would leave
            return real(orders, grouping, expires_after_ms)

        gateway.place_orders = spy
        again = executor.execute(action_id, gateway.now_ms())
        assert seen_at_post == ["intent"] * len(legs) and again.status == "done"
        for cloid in cloids:
            assert [p["outcome"] for p in w.repo.order_posts(cloid)] == ["never booked", "filled"]
        assert dict(w.proxy.ledger.posts) == {c: 2 for c in cloids} and dict(w.proxy.ledger.booked) == {
            c: 1 for c in cloids}
        assert rows_match_venue(w) == []
    finally:
        w.stop()
