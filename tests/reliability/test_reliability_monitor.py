"""RELIABILITY section 2, scenarios 1 and 7 through the monitor's own timer loop: exponential
back-off while /info is down (5xx, dropped connections, 429 on top) and a 30 % price gap that
needs a second poll. The paper exchange on loopback through the real SDK; the timer is injected
and the clock manual, so every delay is asserted exactly and nothing sleeps."""
from __future__ import annotations

from typing import Callable

import pytest

from core.monitor.service import MonitorService, MonitorSettings
from tests.support.monitor_rig import INTERVAL_S
from tests.support.reliability_rig import exchange_calls, propose_exit, rig


class ManualTimer:
    """Stands in for threading.Timer: records each scheduled delay; `fire` advances the rig's
    clock by that delay and runs the tick, as the real timer would after sleeping."""

    def __init__(self, clock):
        self.clock, self.delays = clock, []
        self._due: list[Callable[[], None]] = []

    def __call__(self, delay_s: float, fn: Callable[[], None]) -> "ManualTimer":
        self.delays.append(delay_s)
        self._due.append(fn)
        return self

    def cancel(self) -> None:
        self._due.clear()

    def fire(self) -> None:
        [fn] = self._due
        self._due.clear()
        self.clock.advance(self.delays[-1])
        fn()


def timed_service(r) -> tuple[MonitorService, ManualTimer, list]:
    timer, seen = ManualTimer(r.clock), []
    base = r.service()
    service = MonitorService(r.gateway, r.repo, MonitorSettings(r.paper.demo_address, INTERVAL_S), base.genome,
                             r.clock.now_ms, seen.append, start_timer=timer)
    service.start()
    timer.fire()  # the first poll, on a healthy venue
    assert seen[-1].breaker_state == "NORMAL" and timer.delays == [0.0, INTERVAL_S]
    return service, timer, seen


@pytest.mark.parametrize("fault", ["http_5xx", "drop"])
def test_s01_backoff_doubles_while_info_is_down_and_resets_on_the_first_good_poll(tmp_path, fault):
    r = rig(tmp_path)
    service, timer, seen = timed_service(r)
    action_id = propose_exit(r)
    good, info_before = seen[-1], r.paper.request_counts["info"]
    r.paper.inject_fault(fault, count=6, endpoint="info")
    for k in range(6):
        timer.fire()
        if k == 0:  # an operator approves during the outage: nothing may be sent on a blind book
            r.repo.approve_action(action_id, "alice", r.clock.now_ms())
        snap = seen[-1]
        # SPEC 5: STALE once no poll succeeded for 3 intervals (ages 1 and 2 s are a warning only)
        expected = "NORMAL" if k < 2 else "STALE"
        problem = snap.poll_warning if expected == "NORMAL" else snap.data_error
        assert snap.breaker_state == expected and problem.startswith("exchange unavailable")
        assert f"failed polls: {k + 1}" in problem and snap.next_poll_in_s == timer.delays[-1]
        assert snap.equity_usd == good.equity_usd and snap.last_ok_poll_ms == good.time_ms
    assert timer.delays[2:] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]  # x2 per failure, capped at 10 intervals
    assert [s.data_age_s for s in seen[1:]] == [1.0, 2.0, 4.0, 8.0, 16.0, 26.0]  # the age, shown throughout
    assert r.paper.request_counts["info"] == info_before + 6  # one request per retry, none in between
    assert service.run_cycle().data_error.startswith("exchange unavailable: backing off after 6 failed poll(s)")
    assert r.paper.request_counts["info"] == info_before + 6  # a cycle inside the wait asks nothing
    assert exchange_calls(r) == 0 and r.repo.get_action(action_id).status == "approved"
    r.paper.fast_forward(1.0)  # the market moved on during the outage
    timer.fire()  # the venue answers again
    assert seen[-1].breaker_state == "NORMAL" and seen[-1].next_poll_in_s == INTERVAL_S
    assert timer.delays[-1] == INTERVAL_S and service.backoff.failures == 0
    assert exchange_calls(r) == 0  # approved actions wait for the cycle after the first good poll
    r.paper.fast_forward(1.0)
    timer.fire()
    assert r.repo.get_action(action_id).status == "done" and exchange_calls(r) > 0
    assert [e["to_state"] for e in r.repo.breaker_events()] == ["STALE", "NORMAL"]


def test_s01_retry_after_wins_when_it_is_longer_than_the_backoff(tmp_path):
    r = rig(tmp_path)
    service, timer, seen = timed_service(r)
    plan = [("http_5xx", {}), ("http_5xx", {}), ("http_429", {"retry_after_s": 3}),
            ("http_429", {"retry_after_s": 30}), ("http_5xx", {})]
    for kind, params in plan:
        r.paper.inject_fault(kind, endpoint="info", **params)
        timer.fire()
    # the data is 1 and 2 s old at the first failures (a warning), 4 s at the third: STALE from there
    assert [s.breaker_state for s in seen[1:]] == ["NORMAL", "NORMAL", "STALE", "STALE", "STALE"]
    assert seen[1].poll_warning.startswith("exchange unavailable") and seen[1].data_error is None
    # failures 1..5 back off 1, 2, 4, 8, 10 s; the 429s ask 3 s (less than 4) and 30 s (more than 8)
    assert timer.delays[2:] == [1.0, 2.0, 4.0, 30.0, 10.0]
    r.paper.fast_forward(1.0)
    timer.fire()
    assert seen[-1].breaker_state == "NORMAL" and timer.delays[-1] == INTERVAL_S
    assert exchange_calls(r) == 0


def test_s01_a_stopped_server_keeps_backing_off_up_to_the_cap(tmp_path):
    r = rig(tmp_path)
    service, timer, seen = timed_service(r)
    r.paper.stop()
    for _ in range(7):
        timer.fire()
    assert timer.delays[2:] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert all(s.breaker_state == "NORMAL" and "cannot connect" in s.poll_warning for s in seen[1:3])
    assert all(s.breaker_state == "STALE" and "cannot connect" in s.data_error for s in seen[3:])
    assert seen[-1].data_age_s == 36.0 and seen[-1].next_poll_in_s == 10.0


def test_s07_a_30pct_gap_waits_one_poll_then_the_breaker_acts_even_across_a_restart(tmp_path):
    r = rig(tmp_path)
    service = r.service()
    service.run_cycle()
    r.paper.switch_scenario("gap")  # BTC and ETH -30 % at minute 2
    r.step()
    before = service.run_cycle()
    assert before.breaker_state == "NORMAL" and before.price_gap == ()
    r.step()
    gapped = service.run_cycle()
    assert {g["coin"] for g in gapped.price_gap} == {"BTC", "ETH"}
    assert all(g["pct"] == pytest.approx(-0.30, abs=0.01) for g in gapped.price_gap)
    assert gapped.breaker_state == "NORMAL" and gapped.drawdown > 0.2  # shown, not acted on
    assert gapped.pending_actions == () and r.repo.list_actions() == [] and gapped.new_risk_allowed is False
    assert [e["to_state"] for e in r.repo.breaker_events()] == []
    assert service.state.hwm_usd == before.hwm_usd
    restarted = r.service()  # a new process between the gap and its confirmation
    assert restarted.state.price_gaps == service.state.price_gaps
    r.step()
    confirmed = restarted.run_cycle()
    assert confirmed.price_gap == () and confirmed.breaker_state == "EMERGENCY"
    assert "exit_all" in {a.kind for a in confirmed.pending_actions}
    assert [(e["from_state"], e["to_state"]) for e in r.repo.breaker_events()] == [("NORMAL", "EMERGENCY")]
    assert exchange_calls(r) > 0  # the protective stops, approved by the policy, went out only now


def test_s07_an_old_venue_timestamp_is_stale_and_proposes_nothing():
    """The venue answers, but its clock stays at an old timestamp (or goes back) while a drawdown
    that would be EMERGENCY shows up once 3 intervals have passed: STALE, never a breaker action."""
    from core.monitor.evaluate import evaluate
    from core.monitor.state import MonitorState
    from tests.support.monitor_inputs import BOOK, T0, ctx, market

    state, seen, proposed = MonitorState(), [], []
    polls = [(100_000, T0), (100_000, T0 - 5_000), (100_000, T0), (80_000, T0), (80_000, T0 - 60_000)]
    for poll, (equity, venue_ms) in enumerate(polls):
        mids = {x.coin: x.mark_px * (1 + poll * 1e-4) for x in BOOK}  # prices move, the clock does not
        result = evaluate(ctx(), market(equity, BOOK, mids, venue_ms), state, T0 + poll * 30_000)
        state = result.state
        seen.append(result.snapshot.breaker_state)
        proposed += result.proposals
    assert seen == ["NORMAL", "NORMAL", "NORMAL", "STALE", "STALE"]  # polls 30 s apart: 90 s is 3 intervals
    assert "exchange clock has not moved for 120 s" in result.snapshot.data_error
    assert state.hwm_usd == 100_000 and proposed == []
