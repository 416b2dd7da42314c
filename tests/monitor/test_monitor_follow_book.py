"""Issue 18 at the monitor's depth: STALE only after 3 intervals without a good poll, the breaker's
"since" kept across STALE flaps, pending actions superseded when the book changes under them, and
an operator's request to propose the exit again. Paper exchange on a manual clock, real SDK."""
from __future__ import annotations

from core.exchange.models import OrderRequest
from core.monitor import supersede
from tests.support.monitor_rig import CALM, SLOW_CRASH, make_rig


def test_one_failed_poll_is_a_warning_and_stale_comes_after_three_intervals(tmp_path):
    r = make_rig(tmp_path, CALM)
    service = r.service()
    good = service.run_cycle()
    r.paper.inject_fault("http_5xx", count=1, endpoint="info")
    r.clock.advance(1.0)
    warned = service.run_cycle()
    assert warned.breaker_state == "NORMAL" and warned.poll_warning and "502" in warned.poll_warning
    assert warned.data_error is None and warned.equity_usd == good.equity_usd
    r.step()
    fresh = service.run_cycle()
    assert fresh.breaker_state == "NORMAL" and fresh.poll_warning is None
    assert r.repo.breaker_events() == []  # a single failure is no transition


def test_breaker_since_survives_stale_flaps(tmp_path):
    r = make_rig(tmp_path, CALM)
    service = r.service()
    first = service.run_cycle()
    since = first.breaker_since_ms
    for _ in range(3):  # three outages, each long enough to be STALE, each followed by fresh data
        r.paper.inject_fault("http_5xx", count=1, endpoint="info")
        r.clock.advance(4.0)  # 4 intervals since the last good poll
        assert service.run_cycle().breaker_state == "STALE"
        r.clock.advance(service.next_delay_s())
        r.paper.fast_forward(1.0)
        back = service.run_cycle()
        assert back.breaker_state == "NORMAL"
        assert back.breaker_since_ms == since  # "NORMAL since" is when NORMAL was decided, not the last flap
    events = [(e["from_state"], e["to_state"]) for e in r.repo.breaker_events()]
    assert events == [("NORMAL", "STALE"), ("STALE", "NORMAL")] * 3


def _pending_exit(r):
    """Walk the slow crash until EMERGENCY proposes its exit: (the service, the pending exit)."""
    service = r.service()
    service.run_cycle()
    for _ in range(120):
        r.step()
        snap = service.run_cycle()
        pending = [a for a in snap.pending_actions if a.kind == "exit_all" and a.status == "pending"]
        if pending:
            return service, pending[0]
    raise AssertionError("the crash never reached an exit")


def test_an_exit_is_superseded_when_a_position_closes_and_proposed_again(tmp_path):
    r = make_rig(tmp_path, SLOW_CRASH)
    service, old = _pending_exit(r)
    assert {o["coin"] for o in old.orders} == {"BTC", "ETH", "SOL"}
    sol = r.position_sizes()["SOL"]  # closed outside the action (by hand, or a stop)
    r.gateway.place_orders([OrderRequest("SOL", False, sol, r.gateway.mids()["SOL"] * 0.9, reduce_only=True, tif="Ioc")])
    assert "SOL" not in r.position_sizes()
    r.step()
    after = service.run_cycle()
    assert r.repo.get_action(old.id).status == "expired"
    assert "SOL is no longer held" in r.repo.get_action(old.id).detail
    new = [a for a in after.pending_actions if a.kind == "exit_all" and a.status == "pending"]
    assert len(new) == 1 and new[0].id != old.id
    assert {o["coin"] for o in new[0].orders} == {"BTC", "ETH"}  # the orders as they would be sent now


def test_a_rejected_exit_can_be_proposed_again_on_request(tmp_path):
    r = make_rig(tmp_path, SLOW_CRASH)
    service, old = _pending_exit(r)
    r.repo.reject_action(old.id, "alice", r.clock.now_ms())
    r.step()
    assert not [a for a in service.run_cycle().pending_actions if a.kind == "exit_all"]  # no re-proposal by itself
    r.repo.set_value(supersede.EXIT_REQUEST_KEY, {"by": "alice", "coin": None}, r.clock.now_ms())
    r.step()
    again = [a for a in service.run_cycle().pending_actions if a.kind == "exit_all"]
    assert len(again) == 1 and again[0].status == "pending" and "requested by alice" in again[0].reason
    outcome = r.repo.get_value(supersede.EXIT_REQUEST_OUTCOME_KEY)
    assert outcome["proposed"] is True
    r.repo.set_value(supersede.EXIT_REQUEST_KEY, {"by": "bob", "coin": None}, r.clock.now_ms())
    r.step()
    service.run_cycle()
    refused = r.repo.get_value(supersede.EXIT_REQUEST_OUTCOME_KEY)
    assert refused["proposed"] is False and f"action {again[0].id} already proposes" in refused["message"]


def test_an_exit_of_one_coin_on_request(tmp_path):
    r = make_rig(tmp_path, CALM)
    service = r.service()
    service.run_cycle()
    r.repo.set_value(supersede.EXIT_REQUEST_KEY, {"by": "alice", "coin": "ETH"}, r.clock.now_ms())
    r.step()
    snap = service.run_cycle()
    [action] = [a for a in snap.pending_actions if a.kind == "exit_coin"]
    [order] = action.orders
    assert order["coin"] == "ETH" and order["side"] == "buy"  # the short is closed by buying
    r.repo.set_value(supersede.EXIT_REQUEST_KEY, {"by": "alice", "coin": "DOGE"}, r.clock.now_ms())
    r.step()
    service.run_cycle()
    assert r.repo.get_value(supersede.EXIT_REQUEST_OUTCOME_KEY)["message"] == "DOGE is not held"


def test_propose_exit_cli_records_the_request_and_refuses_a_bad_coin(tmp_db, monitor_repo, capsys):
    from console.cli import main

    assert main(["propose-exit", "--db", str(tmp_db), "--coin", "eth", "--by", "alice"]) == 0
    assert "an exit of ETH requested" in capsys.readouterr().out
    request = monitor_repo.get_value(supersede.EXIT_REQUEST_KEY)
    assert request["coin"] == "ETH" and request["by"] == "alice"
    assert main(["propose-exit", "--db", str(tmp_db), "--coin", "B;TC"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--coin must be a coin name" in err
