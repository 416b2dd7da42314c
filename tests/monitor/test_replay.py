"""`evorisk replay` (SPEC 6, 10): the real monitor with standing exits on history through the
paper exchange reproduces the kernel's exits, and every difference is explained."""
from __future__ import annotations

import json

import pytest

from console.cli import main
from core.genome import default_genes, save_genome_file
from core.replay.compare import ExitEvent, compare


@pytest.fixture(scope="module")
def two_coins(daily_dir):
    return [str(daily_dir / "BTC.csv"), str(daily_dir / "ETH.csv")]


def test_replay_reproduces_the_kernels_exits_bar_for_bar(two_coins):
    from console.replay import run_replay

    run = run_replay(two_coins, default_genes(), end="2019-09-01")
    p = run.parity
    assert p.kernel_trades >= 5, "the comparison must cover real exits"
    assert p.match_share == 1.0, p.mismatches
    assert abs(p.final_equity_diff_pct) < 0.5
    assert p.breaker_state_agreement == 1.0
    kinds = {e.kind for e in run.kernel_events}
    assert kinds & {"stop", "trail"}, "standing stop orders must be among the reproduced exits"


def test_replay_json_carries_the_contract_fields(two_coins, tmp_path, capsys):
    genome = tmp_path / "g.json"
    save_genome_file(genome, default_genes())
    html = tmp_path / "replay.html"
    assert main(["replay", "--data", *two_coins, "--genome", str(genome), "--end", "2019-01-01", "--json",
                 "--html", str(html)]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(doc) >= {"kernel_trades", "matched_trades", "match_share", "final_equity_diff_pct", "mismatches"}
    assert 0.0 <= doc["match_share"] <= 1.0 and all("reason" in m for m in doc["mismatches"])
    assert "Replay parity" in html.read_text()


def test_replay_bad_genome_is_one_line_and_exit_2(two_coins, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"genes": [0.5]}')
    assert main(["replay", "--data", *two_coins, "--genome", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "22" in err[0]


def test_every_mismatch_carries_a_reason():
    k = [ExitEvent("BTC", 1, 10, 15, "stop", 100.0, 1.0), ExitEvent("ETH", 1, 12, 20, "trail", 50.0, 2.0)]
    b = [ExitEvent("BTC", 1, 10, 15, "stop", 100.01, 1.0), ExitEvent("ETH", 1, 12, 19, "trail", 50.5, 2.0)]
    p = compare(k, b, [1.0, 2.0], [1.0, 2.0], ["NORMAL"], ["NORMAL"])
    assert p.matched_trades == 1 and p.match_share == 0.5
    reasons = [m["reason"] for m in p.mismatches]
    assert any("bar 19 instead of bar 20" in r for r in reasons) and any("extra booked" in r for r in reasons)
