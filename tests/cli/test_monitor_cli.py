"""`evorisk monitor --headless`, actions / approve / reject / reset-breaker, promote / promotions /
restore-previous: the command-line contract of SPEC section 11."""
from __future__ import annotations

import json

import pytest

from console.cli import main
from core.genome import save_genome_file
from storage.store import Store
from tests.support.monitor_rig import CALM, make_rig, test_genes

DEMO = "0x00000000000000000000000000000000000de300"


def test_once_exits_3_when_the_exchange_is_unreachable(tmp_db, capsys):
    code = main(["monitor", "--headless", "--once", "--json", "--base-url", "http://127.0.0.1:9",
                 "--address", DEMO, "--db", str(tmp_db), "--timeout", "1"])
    assert code == 3
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["breaker_state"] == "STALE" and "exchange unavailable" in line["data_error"]


def test_once_prints_one_json_line_per_poll(tmp_path, capsys, monkeypatch):
    rig = make_rig(tmp_path, CALM)
    monkeypatch.delenv("EVORISK_PRIVATE_KEY", raising=False)
    code = main(["monitor", "--headless", "--once", "--json", "--base-url", rig.paper.base_url,
                 "--address", rig.paper.demo_address, "--db", str(tmp_path / "cli.db")])
    assert code == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(line) >= {"equity_usd", "drawdown", "breaker_state", "pending_action_ids"}
    assert line["breaker_state"] == "NORMAL" and line["equity_usd"] > 0 and line["genome"] == "default"


def test_actions_approve_reject_and_reset_breaker(tmp_db, monitor_repo, capsys):
    from core.monitor.orders import OrderLeg, ProposedAction

    legs = (OrderLeg(0, "BTC", "sell", 0.1, 60000.0), OrderLeg(1, "ETH", "buy", 2.0, 3100.0))
    far = 10 ** 13
    first = monitor_repo.create_action(ProposedAction("reduce", "test", legs), 0, far)
    second = monitor_repo.create_action(ProposedAction("exit_all", "test", legs), 0, far)
    assert monitor_repo.get_action(first.id).status == "expired"  # superseded by the exit
    assert main(["actions", "--db", str(tmp_db)]) == 0
    out = capsys.readouterr().out
    assert f"#{second.id} exit_all [pending]" in out and "BTC sell 0.1 reduce_only=True" in out
    assert main(["approve", str(first.id), "--db", str(tmp_db)]) == 2  # expired actions cannot be approved
    assert main(["reject", str(second.id), "--by", "bob", "--db", str(tmp_db)]) == 0
    assert monitor_repo.get_approval(second.id).decision == "rejected"
    assert main(["approve", str(second.id), "--db", str(tmp_db)]) == 2
    assert main(["reset-breaker", "--by", "carol", "--db", str(tmp_db)]) == 0
    assert monitor_repo.get_value("reset_request")["by"] == "carol"


def test_promote_list_and_restore_previous(tmp_path, tmp_db, run_repo, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_genome_file(a, test_genes(), label="tight", oos_metrics={"sharpe": 1.1})
    save_genome_file(b, test_genes() * 0.5, label="loose")
    run_id = run_repo.create_run({"population_size": 2}, "fp", "test data")
    assert main(["promote", "--file", str(a), "--run", str(run_id), "--by", "alice", "--db", str(tmp_db)]) == 0
    assert main(["promote", "--file", str(b), "--by", "bob", "--db", str(tmp_db)]) == 0
    assert main(["restore-previous", "--by", "carol", "--db", str(tmp_db)]) == 0
    assert main(["promotions", "--json", "--db", str(tmp_db)]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(r["label"], r["promoted_by"], r["restored_from"]) for r in rows] == [
        ("tight", "carol", 1), ("loose", "bob", None), ("tight", "alice", None)]
    assert rows[2]["run_id"] == run_id and rows[2]["oos_metrics"] == {"sharpe": 1.1}
    assert main(["promote", "--genome-id", "99", "--db", str(tmp_db)]) == 2


def test_promote_from_a_run_that_does_not_exist_is_refused_before_anything_is_stored(tmp_path, tmp_db, run_repo,
                                                                                       capsys):
    genome = tmp_path / "g.json"
    save_genome_file(genome, test_genes(), label="tight")
    run_id = run_repo.create_run({"population_size": 2}, "fp", "test data")
    assert main(["promote", "--file", str(genome), "--run", str(run_id + 98), "--by", "alice",
                 "--db", str(tmp_db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--run {run_id + 98}: no such run" in err
    assert main(["promotions", "--json", "--db", str(tmp_db)]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing promoted, no standing exits approved


def test_monitor_migrations_apply_in_memory():
    store = Store(":memory:")
    assert {"risk_snapshots", "breaker_events", "pending_actions", "approvals", "orders", "fills", "promotions",
            "monitor_state"} <= set(store.table_names())
    assert [n for n in store.migration_names() if n.startswith("m3")] == [
        "m301_monitor_state", "m302_risk_snapshots", "m303_breaker_events", "m304_actions_and_orders",
        "m305_promotions", "m306_action_claims_and_posts", "m307_monitor_leases"]
    assert {"order_posts", "monitor_leases"} <= set(store.table_names())


@pytest.mark.parametrize("argv", [["monitor", "--base-url", "http://127.0.0.1:9", "--address", DEMO],
                                  ["monitor", "--headless", "--interval", "0", "--base-url", "http://127.0.0.1:9",
                                   "--address", DEMO]])
def test_monitor_usage_errors_exit_2(tmp_db, argv):
    assert main([*argv, "--db", str(tmp_db)]) == 2
