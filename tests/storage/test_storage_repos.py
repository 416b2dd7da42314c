"""Storage only stores (issue 19): each table group is its own repository over one real SQLite
file, and the action repository applies core's ledger rules without deciding anything itself."""
from __future__ import annotations

import pytest

from core.monitor import ledger_rules as rules
from core.monitor.orders import OrderLeg, ProposedAction
from core.monitor.records import ActionStateError
from core.vocabulary import ActionKind, ActionStatus, RunStatus
from storage.action_repo import ActionRepo
from storage.candle_repo import CandleRepo
from storage.log_repo import LogRepo
from storage.monitor_repo import MonitorRepo
from storage.promotion_repo import PromotionRepo
from storage.run_repo import RunRepo

LEGS = (OrderLeg(leg=0, coin="BTC", side="sell", size=0.01, limit_px=58800.0),)
HALVE = ProposedAction(ActionKind.REDUCE, "REDUCING: halve every position", LEGS)
EXIT = ProposedAction(ActionKind.EXIT_ALL, "EMERGENCY: close every position", LEGS)
TTL_MS = 600_000


def test_a_new_action_is_stored_as_core_seals_it(store):
    repo = ActionRepo(store)
    action = repo.create_action(HALVE, created_ms=1_000, expires_ms=1_000 + TTL_MS)
    sealed = rules.seal(HALVE, repo.cloid_salt(), action.id)
    assert action.intent_hash == sealed.intent_hash
    assert [leg.cloid for leg in action.legs] == [o["cloid"] for o in sealed.orders]
    assert action.status == ActionStatus.PENDING and action.kind == ActionKind.REDUCE


def test_rows_keep_the_plain_strings_older_databases_hold(store):
    repo = MonitorRepo(store)
    repo.create_action(HALVE, 1_000, 1_000 + TTL_MS)
    RunRepo(store).create_run({}, "fp")
    row = store.query("SELECT typeof(kind) AS t, kind, status FROM pending_actions")[0]
    assert row == {"t": "text", "kind": "reduce", "status": "pending"}
    assert store.query("SELECT status FROM runs")[0]["status"] == "running"


def test_an_exit_supersedes_pending_halvings_in_the_same_write(store):
    repo = ActionRepo(store)
    waiting = repo.create_action(HALVE, 1_000, 1_000 + TTL_MS)
    exit_all = repo.create_action(EXIT, 2_000, 2_000 + TTL_MS)
    superseded = repo.get_action(waiting.id)
    assert superseded.status == ActionStatus.EXPIRED and superseded.detail == rules.superseded_detail(exit_all.id)
    assert repo.get_action(exit_all.id).status == ActionStatus.PENDING


def test_an_approved_halving_is_not_superseded_by_a_later_exit(store):
    repo = ActionRepo(store)
    halving = repo.create_action(HALVE, 1_000, 1_000 + TTL_MS)
    repo.approve_action(halving.id, "alice", 1_500)
    repo.create_action(EXIT, 2_000, 2_000 + TTL_MS)
    assert repo.get_action(halving.id).status == ActionStatus.APPROVED


def test_an_approval_after_the_expiry_is_refused_and_expires_the_action(store):
    repo = ActionRepo(store)
    action = repo.create_action(HALVE, 1_000, 1_000 + TTL_MS)
    with pytest.raises(ActionStateError, match="just expired"):
        repo.approve_action(action.id, "alice", action.expires_ms + 1)
    after = repo.get_action(action.id)
    assert after.status == ActionStatus.EXPIRED and after.detail == rules.EXPIRED_DETAIL
    assert repo.get_approval(action.id) is None
    with pytest.raises(ActionStateError, match="it is expired"):
        repo.reject_action(action.id, "alice", action.expires_ms + 2)


def test_an_approval_at_the_expiry_is_recorded_with_the_intent_hash(store):
    repo = ActionRepo(store)
    action = repo.create_action(HALVE, 1_000, 1_000 + TTL_MS)
    approved = repo.approve_action(action.id, "alice", action.expires_ms)
    approval = repo.get_approval(action.id)
    assert approved.status == ActionStatus.APPROVED
    assert (approval.decision, approval.decided_by, approval.intent_hash) == ("approved", "alice", action.intent_hash)


def test_expire_actions_expires_exactly_the_pending_ones_past_their_expiry(store):
    repo = ActionRepo(store)
    early = repo.create_action(HALVE, 1_000, 5_000)
    late = repo.create_action(ProposedAction(ActionKind.EXIT_COIN, "operator", LEGS), 1_000, 9_000)
    decided = repo.create_action(HALVE, 1_000, 5_000)
    repo.reject_action(decided.id, "bob", 2_000)
    assert repo.expire_actions(now_ms=5_000) == []
    assert repo.expire_actions(now_ms=5_001) == [early.id]
    assert repo.get_action(late.id).status == ActionStatus.PENDING
    assert repo.get_action(decided.id).status == ActionStatus.REJECTED


def test_an_auto_approved_action_is_approved_with_its_approval_row_at_creation(store):
    stops = ProposedAction(ActionKind.PROTECTIVE_STOPS, "TIGHTENED", LEGS, auto_approved_by="breaker")
    repo = ActionRepo(store)
    action = repo.create_action(stops, 1_000, 1_000 + TTL_MS)
    assert action.status == ActionStatus.APPROVED
    assert repo.get_approval(action.id).intent_hash == action.intent_hash


def test_runs_and_genomes_have_their_own_repository(store):
    runs = RunRepo(store)
    run_id = runs.create_run({"pop": 4}, "fp", "BTC")
    assert runs.get_run(run_id)["finished_at"] is None
    runs.set_run_status(run_id, RunStatus.CANCELLED)
    cancelled = runs.get_run(run_id)
    assert cancelled["status"] == RunStatus.CANCELLED and cancelled["finished_at"] is not None
    runs.set_run_status(run_id, RunStatus.RUNNING)
    assert runs.get_run(run_id)["finished_at"] == cancelled["finished_at"]  # only an end stamps it
    gid = runs.save_genome([0.25] * 22, fitness=1.5, run_id=run_id, label="g")
    assert runs.get_genome(gid)["genes"] == [0.25] * 22
    assert [r["id"] for r in runs.list_runs()] == [run_id]


def test_candles_and_the_log_have_their_own_repositories(store):
    candles = CandleRepo(store)
    assert candles.write_candles("hl", "BTC", "1d", [(1, 1.0, 2.0, 0.5, 1.5, 10.0), (2, 1.5, 2.5, 1.0, 2.0, 11.0)]) == 2
    assert candles.candles("hl", "BTC", "1d", start_ms=2) == [(2, 1.5, 2.5, 1.0, 2.0, 11.0)]
    assert candles.summary() == [{"source": "hl", "coin": "BTC", "interval": "1d", "first_ms": 1, "last_ms": 2,
                                  "rows": 2}]
    log = LogRepo(store)
    log.append_log("t1", "INFO", "core", "quiet")
    log.append_log("t2", "ERROR", "core", "loud")
    assert [r["message"] for r in log.recent_logs(min_level="WARNING")] == ["loud"]
    assert [r["message"] for r in log.recent_logs(text="qui")] == ["quiet"]


def test_promotions_have_their_own_repository(store):
    promotions = PromotionRepo(store)
    assert promotions.active_promotion() is None
    first = promotions.promote([0.5] * 22, "a", "alice", 1_000)
    second = promotions.promote([0.4] * 22, "b", "alice", 2_000, restored_from=first)
    assert promotions.active_promotion()["id"] == second
