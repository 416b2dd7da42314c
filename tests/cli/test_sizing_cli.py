"""`evorisk size` against the paper exchange: the promoted genome, the saved breaker, the live book."""
from __future__ import annotations

import json

import eth_account
import pytest

from console.cli import main
from core import policy
from core.exchange.paper import PaperSettings
from core.genome import GENE_INDEX, decode, default_genes
from core.monitor.state import MonitorState

CASH_USD = 100_000.0


@pytest.fixture
def paper_settings() -> PaperSettings:
    return PaperSettings()


@pytest.fixture
def flat_account(paper) -> str:
    address = eth_account.Account.create().address
    paper.open_account(address, CASH_USD)
    return address


def run_size(paper, address: str, db, *args: str, as_json: bool = True):
    argv = ["size", *args, "--base-url", paper.base_url, "--address", address, "--db", str(db)]
    return main(argv + (["--json"] if as_json else []))


def test_a_flat_account_gets_the_default_genomes_concentration_cap(paper, flat_account, tmp_db, capsys):
    btc_px = paper.mids()["BTC"]
    assert run_size(paper, flat_account, tmp_db, "BTC", "10") == 0
    d = json.loads(capsys.readouterr().out)
    cap = CASH_USD * decode(default_genes()).concentration_limit
    assert d["genome"] == "default" and d["breaker_state"] == "NORMAL"
    assert d["allowed_size"] == pytest.approx(cap / btc_px, rel=1e-6)
    assert [f.split(":")[0] for f in d["limiting_factors"]] == ["concentration"]


def test_the_newest_promotion_is_the_genome_that_sizes(paper, flat_account, tmp_db, monitor_repo, capsys):
    genes = list(default_genes())
    genes[GENE_INDEX["concentration_limit"]] = 0.0  # 5% of equity
    monitor_repo.promote(genes, "tight", "tester", 1)
    assert run_size(paper, flat_account, tmp_db, "ETH", "1000") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["genome"] == "promotion #1 tight"
    assert d["concentration_cap_usd"] == pytest.approx(0.05 * CASH_USD)


@pytest.mark.parametrize("state", [policy.REDUCING, policy.EMERGENCY, policy.STALE])
def test_the_saved_breaker_state_blocks_new_risk(paper, flat_account, tmp_db, monitor_repo, capsys, state):
    saved = MonitorState(hwm_usd=CASH_USD, breaker_state=state, breaker_reason="test")
    monitor_repo.save_monitor_state(saved.to_json(), 1)
    assert run_size(paper, flat_account, tmp_db, "SOL", "1", as_json=False) == 0
    out = capsys.readouterr().out.splitlines()
    name = policy.BREAKER_NAMES[state]
    assert f"breaker {name}" in out[0] and out[1].startswith("allowed: 0 SOL")
    assert out[2] == "limited by:" and out[3].startswith(f"  - breaker {name}:")


def test_the_demo_book_is_checked_for_correlation_with_its_held_coins(paper, tmp_db, capsys):
    assert run_size(paper, paper.demo_address, tmp_db, "XRP", "100", "--side", "short") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["side"] == "short" and d["requested_size"] == 100
    line = next(c for c in d["checks"] if c.startswith("correlation:"))
    assert "with BTC, ETH, SOL" in line and isinstance(d["weighted_correlation"], float)
    blocked = d["weighted_correlation"] > d["correlation_limit"]
    assert (d["allowed_size"] == 0) == blocked


def test_an_unknown_coin_is_one_line_and_exit_2(paper, flat_account, tmp_db, capsys):
    assert run_size(paper, flat_account, tmp_db, "NOPE", "1") == 2
    assert capsys.readouterr().err == "evorisk: unknown coin 'NOPE' on paper\n"
