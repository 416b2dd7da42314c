"""The executor: partial fills retried with widening slippage, kill -9 and restart never send a
cloid twice, a locked database is retried and reported and sends nothing it could not record."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.exchange.paper.book import BookSettings
from core.monitor.executor import Executor
from core.monitor.orders import ProposedAction, derive_cloid
from core.monitor.proposals import close_legs
from storage.store import StoreBusyError
from tests.support.monitor_rig import CALM, make_rig

ROOT = Path(__file__).resolve().parents[2]


def propose_exit(rig) -> int:
    state = rig.gateway.account_state(rig.paper.demo_address)
    legs = close_legs(state.positions, rig.gateway.mids(), 1.0, {"BTC": 5, "ETH": 4, "SOL": 2})
    now = rig.clock.now_ms()
    return rig.repo.create_action(ProposedAction("exit_all", "test exit", legs), now, now + 600_000).id


def test_partial_fills_retry_the_remainder_with_widening_slippage(tmp_path):
    thin = BookSettings(depth_usd_per_level=4_000.0, levels=10, level_step_bps=50.0)
    rig = make_rig(tmp_path, CALM, book=thin)
    action_id = propose_exit(rig)
    rig.repo.approve_action(action_id, "alice", rig.clock.now_ms())
    report = Executor(rig.gateway, rig.repo, rig.paper.demo_address).execute(action_id, rig.clock.now_ms())
    assert report.status == "partial"
    for leg in report.legs:
        assert leg.attempts == 3 and 0 < leg.filled < leg.requested and leg.status == "incomplete"
    rows = rig.repo.orders_for_action(action_id)
    btc = [o for o in rows if o.coin == "BTC"]
    mid = rig.gateway.mids()["BTC"]
    assert [round(1 - o.limit_px / mid, 2) for o in btc] == [0.02, 0.04, 0.08]
    assert btc[1].size == pytest.approx(btc[0].size - btc[0].filled_size, abs=1e-5)  # the remainder, re-read
    assert len({o.cloid for o in rows}) == len(rows) == 9
    assert "BTC sell" in rig.repo.get_action(action_id).detail


KILLER = """
import os, signal, sys
from core.exchange import gateway as gw
mode, argv = sys.argv[1], sys.argv[2:]
real, sent = gw.HyperliquidGateway.place_orders, []
def place_then_maybe_die(self, orders, grouping="na", **signed):
    if mode == "before-send":
        os.kill(os.getpid(), signal.SIGKILL)
    result = real(self, orders, grouping, **signed)
    sent.append(1)
    if len(sent) >= int(mode):
        os.kill(os.getpid(), signal.SIGKILL)  # booked on the exchange, never recorded here
    return result
gw.HyperliquidGateway.place_orders = place_then_maybe_die
from console.cli import main
sys.exit(main(argv))
"""


def run_cli(rig, args: list[str], kill_mode: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVORISK_PRIVATE_KEY": rig.agent_key, "PYTHONPATH": str(ROOT)}
    exchange = ["--base-url", rig.paper.base_url, "--address", rig.paper.demo_address, "--db", str(rig.db_path)]
    cmd = [sys.executable, "-c", KILLER, kill_mode] if kill_mode else [sys.executable, "-m", "console.cli"]
    return subprocess.run([*cmd, *args, *exchange], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kill_mode", ["before-send", "1", "2"])
def test_kill_after_approval_then_restart_books_every_order_exactly_once(tmp_path, kill_mode):
    rig = make_rig(tmp_path, CALM)
    action_id = propose_exit(rig)
    legs = rig.repo.get_action(action_id).legs
    dead = run_cli(rig, ["approve", str(action_id), "--by", "alice", "--timeout", "0.5"], kill_mode)
    assert dead.returncode == -9
    assert rig.repo.get_approval(action_id).decided_by == "alice"  # committed before any send
    booked_at_kill = len(rig.order_cloids())
    assert booked_at_kill == (0 if kill_mode == "before-send" else int(kill_mode))
    # A killed POST may still be travelling: the restart waits out its signed expiry before it
    # believes "unknown" and sends again, so it may take a few cycles.
    for _ in range(20):
        restart = run_cli(rig, ["monitor", "--headless", "--once", "--interval", "1", "--timeout", "0.5"])
        assert restart.returncode == 0, restart.stderr
        if rig.repo.get_action(action_id).status == "done":
            break
        time.sleep(0.5)
    salt = rig.repo.cloid_salt()
    ours = [derive_cloid(salt, action_id, leg.leg, 0) for leg in legs]
    cloids = rig.order_cloids()
    assert all(cloids.count(c) == 1 for c in ours)  # every order exists exactly once
    assert len(cloids) == len(legs)
    assert rig.position_sizes() == {}
    assert rig.repo.get_action(action_id).status == "done"


def test_locked_database_is_retried_and_reported_and_nothing_is_lost(tmp_path, caplog):
    rig = make_rig(tmp_path, CALM)
    rig.repo.store.db.conn.execute("PRAGMA busy_timeout = 20")
    action_id = propose_exit(rig)
    other = sqlite3.connect(rig.db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    rig.repo.approve_action(action_id, "alice", rig.clock.now_ms())
    assert rig.repo.busy_retries >= 1
    assert "database busy, retrying" in caplog.text
    assert rig.repo.get_approval(action_id).decided_by == "alice"
    other.close()


def test_no_order_is_sent_when_the_approval_cannot_be_written(tmp_path):
    rig = make_rig(tmp_path, CALM)
    rig.repo.store.db.conn.execute("PRAGMA busy_timeout = 20")
    rig.repo.retry_delays_s = (0.01, 0.01)
    action_id = propose_exit(rig)
    posts = rig.order_posts()
    other = sqlite3.connect(rig.db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StoreBusyError):
        rig.repo.approve_action(action_id, "alice", rig.clock.now_ms())
    other.execute("ROLLBACK")
    other.close()
    with pytest.raises(Exception):
        Executor(rig.gateway, rig.repo, rig.paper.demo_address).execute(action_id, rig.clock.now_ms())
    assert rig.order_posts() == posts and rig.repo.get_action(action_id).status == "pending"
