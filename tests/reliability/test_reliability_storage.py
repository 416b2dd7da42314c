"""RELIABILITY section 2, scenarios 14 (disk full) and 12 (kill -9 versus committed intent rows).

Disk full without monkeypatching: `PRAGMA max_page_count` caps the monitor database at its current
size on the repo's own connection, and small filler rows use up the last free bytes of the tables
the executor writes, so the next INSERT there fails with SQLite's real "database or disk is full".
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.monitor.executor import ApprovalMissing, Executor
from core.monitor.orders import derive_cloid
from storage.store import StoreBusyError
from tests.support.reliability_rig import exchange_calls, integrity_ok, propose_exit, rig

ROOT = Path(__file__).resolve().parents[2]
FILLERS = {  # tiny rows with ids no real row uses (foreign keys are off while filling)
    "approvals": "INSERT INTO approvals (action_id, decision, decided_by, decided_ms, intent_hash)"
                 " VALUES (-{n}, 'x', 'x', 0, 'x')",
    "orders": "INSERT INTO orders (cloid, action_id, leg, attempt, coin, is_buy, size, limit_px, request_json,"
              " status, created_ms, updated_ms) VALUES ('f{n}', -1, {n}, 0, 'X', 0, 1, 1, '{{}}', 'filler', 0, 0)",
    "fills": "INSERT INTO fills (cloid, action_id, coin, size, time_ms) VALUES ('f', -1, 'X', 1, 0)",
    "risk_snapshots": "INSERT INTO risk_snapshots (time_ms, breaker_state, snapshot_json) VALUES (0, 'x', '{{}}')",
}


def fill_the_disk(repo) -> None:
    """Cap the file at its size, then fill the executor's tables until SQLite refuses each of them."""
    conn = repo.store.db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for sql in FILLERS.values():
        n = 0
        while True:
            n += 1
            try:
                conn.execute(sql.format(n=n))
            except sqlite3.OperationalError as exc:
                assert "database or disk is full" in str(exc)
                break
    conn.execute("PRAGMA foreign_keys = ON")
    repo.retry_delays_s = (0.01,)


def free_the_disk(repo) -> None:
    repo.store.db.conn.execute("PRAGMA max_page_count = 1073741823")


def test_s14_disk_full_at_approval_rolls_back_and_nothing_is_sent(tmp_path):
    r = rig(tmp_path)
    action_id = propose_exit(r)
    fill_the_disk(r.repo)
    with pytest.raises(StoreBusyError, match="database or disk is full"):  # the CLI prints this line
        r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    assert r.repo.get_approval(action_id) is None and r.repo.get_action(action_id).status == "pending"  # rolled back
    with pytest.raises(ApprovalMissing):
        Executor(r.gateway, r.repo, r.paper.demo_address).execute(action_id, r.clock.now_ms())
    assert exchange_calls(r) == 0
    assert integrity_ok(r.db_path)


def test_s14_disk_full_before_the_intent_row_sends_nothing_then_resumes_exactly_once(tmp_path):
    r = rig(tmp_path)
    action_id = propose_exit(r)
    legs = r.repo.get_action(action_id).legs
    r.repo.approve_action(action_id, "alice", r.clock.now_ms())
    salt = r.repo.cloid_salt()
    fill_the_disk(r.repo)
    executor = Executor(r.gateway, r.repo, r.paper.demo_address)
    with pytest.raises(StoreBusyError, match="database or disk is full"):
        executor.execute(action_id, r.clock.now_ms())
    assert exchange_calls(r) == 0  # no order without its intent row
    assert r.repo.orders_for_action(action_id) == []
    free_the_disk(r.repo)
    assert executor.execute(action_id, r.clock.now_ms()).status == "done"
    ours = [derive_cloid(salt, action_id, leg.leg, 0) for leg in legs]
    assert dict(r.paper.posted_cloids) == {c: 1 for c in ours}
    assert integrity_ok(r.db_path)


def test_s14_disk_full_during_a_monitor_cycle_is_a_visible_error_and_the_db_stays_whole(tmp_path):
    r = rig(tmp_path)
    service = r.service()
    service.run_cycle()
    rows = r.repo.store.query("SELECT COUNT(*) AS n FROM risk_snapshots")[0]["n"]
    fill_the_disk(r.repo)
    filled = r.repo.store.query("SELECT COUNT(*) AS n FROM risk_snapshots")[0]["n"]
    r.step()
    snap = service.run_cycle()  # the cycle completes and says why nothing was stored
    assert snap.db_error is not None and "database or disk is full" in snap.db_error
    assert r.repo.store.query("SELECT COUNT(*) AS n FROM risk_snapshots")[0]["n"] == filled > rows
    assert exchange_calls(r) == 0 and integrity_ok(r.db_path)


WRITER = """
import sys
from core.monitor import records as r
from core.monitor.orders import OrderLeg, ProposedAction
from storage.monitor_repo import MonitorRepo
from storage.store import Store

repo = MonitorRepo(Store(sys.argv[1]))
start = int(sys.argv[2])
action = repo.create_action(ProposedAction("exit_all", "kill -9 test", (OrderLeg(0, "BTC", "sell", 0.1, 1.0),)),
                            0, 10 ** 13)
for i in range(start, start + 1_000_000):
    row = r.OrderRecord(f"0x{i:032x}", action.id, 0, i, "BTC", False, 0.1, 1.0, None, r.INTENT)
    repo.record_order_intent(row, {"tif": "Ioc", "reduce_only": True}, i)
    sys.stdout.write(row.cloid + "\\n")  # only after COMMIT returned
    sys.stdout.flush()
"""
KILLS = 5


def test_s12_kill_9_never_loses_a_committed_intent_row_and_integrity_holds(tmp_path, record_property):
    db = tmp_path / "killed.db"
    rng = random.Random(12)
    committed: list[str] = []
    lost, intact = 0, 0
    for k in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(k * 1_000_000)], cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
        want = rng.randint(5, 120)
        for _ in range(want):
            committed.append(child.stdout.readline().strip())
        child.send_signal(signal.SIGKILL)  # often mid-transaction: the writer never stops between rows
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        intact += integrity_ok(db)
        conn = sqlite3.connect(db)
        stored = {row[0] for row in conn.execute("SELECT cloid FROM orders")}
        conn.close()
        lost = sum(1 for c in committed if c not in stored)
    record_property("kills", KILLS)
    record_property("committed_rows", len(committed))
    record_property("lost_rows", lost)
    record_property("integrity_ok", intact)
    assert lost == 0 and intact == KILLS
