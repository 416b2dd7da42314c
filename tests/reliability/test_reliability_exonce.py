"""RELIABILITY section 2, scenarios 22-25: never the same order twice, one monitor per account.

Everything runs through the real SDK against the paper exchange on loopback, behind a proxy that
delays each /exchange POST (tests/support/exonce_rig.py); POSTs, bookings and re-sends of a booked
cloid ("Duplicate cloid" answers) are counted at the proxy from the venue's own replies.
"""
from __future__ import annotations

import logging
import select
import signal
import subprocess
import sys
import threading
import time

import pytest

from core.exchange.gateway import HyperliquidGateway
from core.monitor.executor import HELD, ApprovalMissing, Executor
from core.monitor.orders import derive_cloid
from tests.support.exonce_rig import ROOT, WAIT_S, rows_match_venue, small_reduce, wait_for, wall_rig
from tests.support.monitor_rig import SLOW_CRASH, test_genes

def our_cloids(rig, action_id: int) -> list[str]:
    salt = rig.repo.cloid_salt()
    return [derive_cloid(salt, action_id, leg.leg, 0) for leg in rig.repo.get_action(action_id).legs]


def proxied_gateway(rig, timeout_s: float) -> HyperliquidGateway:
    return HyperliquidGateway("paper", base_url=rig.proxy.base_url, private_key=rig.agent_key,
                              account_address=rig.paper.demo_address, timeout_s=timeout_s)


def start_monitor(rig, *extra: str, timeout_s: float = 3.0, interval_s: float = 0.3) -> subprocess.Popen:
    argv = [sys.executable, "-m", "console.cli", "monitor", "--headless", "--interval", str(interval_s),
            *rig.cli_args(timeout_s), *extra]
    return subprocess.Popen(argv, cwd=ROOT, env=rig.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def interrupt(proc: subprocess.Popen) -> tuple[str, str]:
    """Stop a monitor cleanly with SIGTERM. Not SIGINT: a test run launched in the background by a
    script inherits SIGINT ignored (POSIX shells do that for `cmd &`), and so does every monitor
    it starts. A monitor that does not stop is killed, so it never outlives its test."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
        raise


@pytest.fixture
def slow(tmp_path):
    rig = wall_rig(tmp_path, delay_before_s=1.0)
    yield rig
    rig.stop()


def test_s22_two_executors_racing_on_one_approved_action_post_each_cloid_once(slow):
    action_id = small_reduce(slow)
    executors = [Executor(proxied_gateway(slow, 5.0), slow.repo, slow.paper.demo_address) for _ in range(2)]
    start = threading.Barrier(2)
    reports = {}

    def run(i: int) -> None:
        start.wait()
        reports[i] = executors[i].execute(action_id, executors[i].gateway.now_ms())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    assert sorted(r.status for r in reports.values()) == ["done", HELD]  # one claimed it, one stood aside
    ours = our_cloids(slow, action_id)
    assert dict(slow.proxy.ledger.posts) == {c: 1 for c in ours}
    assert dict(slow.proxy.ledger.booked) == {c: 1 for c in ours} and not slow.proxy.ledger.duplicates
    with pytest.raises(ApprovalMissing):  # done: never executed again
        executors[1].execute(action_id, executors[1].gateway.now_ms())
    assert slow.proxy.ledger.exchange_posts == len(ours)
    assert rows_match_venue(slow) == []


def test_s22_approve_with_base_url_while_the_monitor_runs_hands_off_and_each_cloid_is_posted_once(slow):
    monitor = start_monitor(slow)
    try:
        wait_for(lambda: slow.repo.monitor_lease(slow.paper.demo_address) is not None, "the monitor's lease")
        action_id = small_reduce(slow, approve_by=None)
        approve = subprocess.run([sys.executable, "-m", "console.cli", "approve", str(action_id), "--by", "alice",
                                  *slow.cli_args(3.0)], cwd=ROOT, env=slow.env(), capture_output=True, text=True,
                                 timeout=WAIT_S)
        assert approve.returncode == 0, approve.stderr
        assert "handed to the running monitor" in approve.stdout
        wait_for(lambda: slow.repo.get_action(action_id).status == "done", "the monitor to send the action")
    finally:
        interrupt(monitor)
    ours = our_cloids(slow, action_id)
    assert dict(slow.proxy.ledger.posts) == {c: 1 for c in ours}
    assert dict(slow.proxy.ledger.booked) == {c: 1 for c in ours}
    assert rows_match_venue(slow) == []
    assert slow.repo.monitor_lease(slow.paper.demo_address) is None  # released on a clean stop


def test_s22_approve_and_a_monitor_started_together_still_post_each_cloid_once(slow):
    action_id = small_reduce(slow, approve_by=None)
    monitor = start_monitor(slow)
    approve = subprocess.Popen([sys.executable, "-m", "console.cli", "approve", str(action_id), "--by", "alice",
                                *slow.cli_args(3.0)], cwd=ROOT, env=slow.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        out, err = approve.communicate(timeout=WAIT_S)
        assert approve.returncode == 0, err
        wait_for(lambda: slow.repo.get_action(action_id).status == "done", "the action to be done")
    finally:
        interrupt(monitor)
    ours = our_cloids(slow, action_id)
    assert dict(slow.proxy.ledger.posts) == {c: 1 for c in ours}, out
    assert not slow.proxy.ledger.duplicates and rows_match_venue(slow) == []


def test_s23_unknown_oid_while_the_post_is_in_flight_is_not_believed(slow, caplog):
    caplog.set_level(logging.INFO)
    slow.proxy.delay_before_s = 1.5  # the order is still on its way when the client gives up at 0.5 s
    action_id = small_reduce(slow)
    executor = Executor(proxied_gateway(slow, 0.5), slow.repo, slow.paper.demo_address)
    first = executor.execute(action_id, executor.gateway.now_ms())
    assert first.status == "sending" and {leg.status for leg in first.legs} == {"unknown"}
    assert "unknown, but a POST of it may arrive" in caplog.text  # unknownOid asked in between, not believed
    again = executor.execute(action_id, executor.gateway.now_ms())  # asks again; still nothing re-sent
    assert again.status in ("sending", "done")
    ours = our_cloids(slow, action_id)
    wait_for(lambda: sum(slow.proxy.ledger.booked.values()) == len(ours), "the delayed POSTs to be booked")
    wait_for(lambda: executor.execute(action_id, executor.gateway.now_ms()).status == "done", "reconcile")
    assert dict(slow.proxy.ledger.posts) == {c: 1 for c in ours}  # 1 POST per cloid, no second order
    assert dict(slow.proxy.ledger.booked) == {c: 1 for c in ours}
    assert len(slow.repo.orders_for_action(action_id)) == len(ours)  # no wider retry under a new cloid
    outcomes = [p["outcome"] for p in slow.repo.order_posts()]
    assert outcomes == ["booked"] * len(ours)  # the attempt's outcome, learnt by cloid
    assert rows_match_venue(slow) == []


def test_s24_503s_then_latency_kill_9_after_booking_and_restart_books_each_cloid_once(tmp_path):
    rig = wall_rig(tmp_path, delay_before_s=0.0, delay_after_s=1.5)
    try:
        action_id = small_reduce(rig)
        ours = our_cloids(rig, action_id)
        rig.proxy.fail_next(len(ours))  # every first POST meets a 503: never booked, outcome unknown
        monitor = start_monitor(rig, timeout_s=1.0)
        assert rig.proxy.booked_event.wait(WAIT_S), "the re-send after not_found never went out"
        time.sleep(0.3)
        monitor.kill()  # booked at the venue, its late reply never read
        monitor.wait(10)
        [resent] = list(rig.proxy.ledger.booked)
        row = rig.repo.get_order(resent)
        assert row.status == "intent" and row.posts == 2  # set back to intent before the re-send
        restart = start_monitor(rig, timeout_s=1.0)
        try:
            wait_for(lambda: rig.repo.get_action(action_id).status == "done", "the restart to finish")
        finally:
            interrupt(restart)
        assert dict(rig.proxy.ledger.booked) == {c: 1 for c in ours}  # 1 booking per cloid
        assert not rig.proxy.ledger.duplicates
        assert dict(rig.proxy.ledger.posts) == {c: 2 for c in ours}  # the 503, then one booking
        assert rows_match_venue(rig) == []
        posts = rig.repo.order_posts(resent)
        assert [p["post_no"] for p in posts] == [1, 2] and posts[0]["outcome"] == "never booked"
        assert posts[1]["outcome"] == "booked"  # learnt by cloid after the restart
    finally:
        rig.stop()


def test_s25_a_second_monitor_refuses_in_one_line_or_watches_read_only_and_one_proposal_per_episode(tmp_path):
    rig = wall_rig(tmp_path, delay_before_s=0.0, scenario=SLOW_CRASH)
    try:
        rig.repo.promote(list(test_genes()), "5% drawdown", "test", rig.gateway.now_ms())
        writer = start_monitor(rig)
        wait_for(lambda: rig.repo.monitor_lease(rig.paper.demo_address) is not None, "the first monitor's lease")
        second = subprocess.run([sys.executable, "-m", "console.cli", "monitor", "--headless", "--interval", "0.3",
                                 *rig.cli_args(3.0)], cwd=ROOT, env=rig.env(), capture_output=True, text=True,
                                timeout=WAIT_S)
        assert second.returncode == 2
        assert second.stderr.count("\n") == 1 and "another monitor is running" in second.stderr
        assert "Traceback" not in second.stderr
        watcher = start_monitor(rig, "--read-only")
        try:
            time.sleep(1.0)
            rig.paper.fast_forward(20)  # the crash scenario's drawdown arrives at once
            wait_for(lambda: any(a.kind == "exit_all" for a in rig.repo.list_actions()), "the exit proposal")
            time.sleep(2.0)  # several more cycles of both monitors in the same episode
        finally:
            _, watch_err = interrupt(watcher)
            out, _ = interrupt(writer)
        kinds = [a.kind for a in rig.repo.list_actions()]
        assert kinds.count("exit_all") == 1  # one proposal per episode, however many monitors watch
        assert kinds.count("reduce") <= 1
        assert "Traceback" not in watch_err
    finally:
        rig.stop()


def test_s25_the_lease_of_a_killed_monitor_is_taken_over_at_once(tmp_path):
    rig = wall_rig(tmp_path, delay_before_s=0.0)
    try:
        first = start_monitor(rig)
        wait_for(lambda: rig.repo.monitor_lease(rig.paper.demo_address) is not None, "the lease")
        first.kill()
        first.wait(10)  # reaped: its pid is gone from this host
        second = start_monitor(rig)
        try:
            wait_for(lambda: (rig.repo.monitor_lease(rig.paper.demo_address) or first).pid == second.pid,
                     "the take-over")
            assert second.poll() is None
        finally:
            interrupt(second)
    finally:
        rig.stop()


def test_s25_sigterm_stops_a_monitor_cleanly_and_frees_its_lease_even_where_sigint_is_ignored(tmp_path):
    """A monitor started by a script in the background (`evorisk monitor ... &`: SIGINT ignored) or by
    a service manager is stopped with SIGTERM: it must stop as after Ctrl-C, lease released, exit 0."""
    rig = wall_rig(tmp_path, delay_before_s=0.0)
    try:
        argv = [sys.executable, "-m", "console.cli", "monitor", "--headless", "--interval", "0.3", *rig.cli_args(3.0)]
        monitor = subprocess.Popen(argv, cwd=ROOT, env=rig.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        try:
            ready, _, _ = select.select([monitor.stdout], [], [], WAIT_S)
            assert ready and monitor.stdout.readline(), "the monitor never polled"  # running, lease held
            assert rig.repo.monitor_lease(rig.paper.demo_address) is not None
            monitor.terminate()
            _, err = monitor.communicate(timeout=30)
        finally:
            if monitor.poll() is None:
                monitor.kill()
        assert monitor.returncode == 0, err  # a clean stop, not death by signal (-15)
        assert "Traceback" not in err
        assert rig.repo.monitor_lease(rig.paper.demo_address) is None  # released: the next monitor starts at once
    finally:
        rig.stop()
