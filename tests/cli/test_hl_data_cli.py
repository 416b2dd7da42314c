"""`evorisk data fetch|list` and `--data hl:...` for evolve, backtest, resume and report, end to end
against the paper exchange replaying ../shared/data (one CSV bar per simulated minute)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from console.cli import main
from core.evolution import EvolutionConfig, create_run, execute_run, run_data_paths
from core.exchange.paper import PaperSettings
from core.exchange.paper.market import DEFAULT_COINS
from core.genome import save_genome_file
from tests.support.paper import module_paper, start_paper

DAYS_OF_HISTORY = 370  # a 180-bar training window and a 180-bar test window of daily candles
MINUTES_PER_DAY = 1440


@pytest.fixture(scope="module")
def replay_paper(hourly_dir):
    coins = tuple(c for c in DEFAULT_COINS if c.name in ("BTC", "ETH"))
    settings = PaperSettings(history_minutes=DAYS_OF_HISTORY * MINUTES_PER_DAY, coins=coins, demo_address=None,
                             replay_csv={"BTC": str(hourly_dir / "BTC.csv"), "ETH": str(hourly_dir / "ETH.csv")})
    with module_paper(settings) as ex:
        yield ex


@pytest.fixture
def small_paper():
    # Minute history only (no coarser synthetic history behind it): about 200 hourly candles.
    return start_paper(PaperSettings(history_minutes=12_000, deep_history=False))


def test_data_fetch_prints_one_line_per_coin_and_list_shows_the_cache(small_paper, tmp_db, capsys):
    args = ["data", "fetch", "--coins", "BTC,ETH", "--interval", "1h", "--base-url", small_paper.base_url,
            "--db", str(tmp_db)]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("fetching BTC,ETH 1h from paper")
    assert re.match(r"BTC 1h: \+\d+ candles 20\S+ \S+ \.\. 20.*\(2 request\(s\)\); cache .*, \d+ rows$", out[1])
    assert main(args) == 0
    assert "up to date, nothing new" in capsys.readouterr().out
    assert main(["data", "list", "--db", str(tmp_db)]) == 0
    table = capsys.readouterr().out
    assert "hl:paper" in table and "BTC" in table and "gaps" in table
    assert main(["data", "list", "--db", str(tmp_db), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["candles"]
    assert [(r["source"], r["coin"], r["interval"], r["gaps"]) for r in listed] == [
        ("hl:paper", "BTC", "1h", 0), ("hl:paper", "ETH", "1h", 0)]


def test_data_fetch_of_an_unknown_coin_exits_2_and_still_caches_the_others(small_paper, tmp_db, capsys):
    rc = main(["data", "fetch", "--coins", "NOPE,SOL", "--interval", "4h", "--base-url", small_paper.base_url,
               "--db", str(tmp_db), "--json"])
    captured = capsys.readouterr()
    assert rc == 2 and captured.err.strip() == "NOPE 4h: unknown coin 'NOPE' on paper"
    results = {r["coin"]: r for r in json.loads(captured.out)["results"]}
    assert results["NOPE"]["status"] == "rejected" and results["SOL"]["status"] == "ok"
    assert results["SOL"]["new_rows"] > 0


def test_hl_data_that_is_not_cached_and_has_no_venue_says_how_to_fetch_it(tmp_db, tmp_path, capsys):
    genome = tmp_path / "g.json"
    save_genome_file(genome, [0.5] * 22)
    assert main(["backtest", "--data", "hl:BTC@1d", "--genome", str(genome), "--db", str(tmp_db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "evorisk data fetch --coins BTC --interval 1d" in err


def test_evolve_on_hl_data_fetches_missing_coins_then_runs_and_records_a_pinned_spec(replay_paper, tmp_db,
                                                                                     evolution_repo, capsys):
    rc = main(["evolve", "--data", "hl:BTC,ETH@1d", "--base-url", replay_paper.base_url, "--pop", "6",
               "--gens", "1", "--seed", "4", "--db", str(tmp_db), "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    first, last = captured.out.strip().splitlines()
    assert json.loads(first) == {"run_id": 1}
    result = json.loads(last)
    assert result["status"] == "finished" and result["generation"] == 1
    assert "fetching BTC,ETH 1d from paper" in captured.err
    (spec,) = run_data_paths(evolution_repo, 1)
    assert spec.startswith("hl:paper:BTC,ETH@1d/") and ".." in spec
    assert evolution_repo.get_run(1)["data_desc"] == "BTC,ETH"


def test_backtest_and_report_read_hl_data_from_the_cache(replay_paper, tmp_db, tmp_path, capsys):
    assert main(["data", "fetch", "--coins", "BTC,ETH", "--base-url", replay_paper.base_url,
                 "--db", str(tmp_db)]) == 0
    genome = tmp_path / "g.json"
    save_genome_file(genome, [0.5] * 22)
    capsys.readouterr()
    assert main(["backtest", "--data", "hl:BTC,ETH@1d", "--genome", str(genome), "--db", str(tmp_db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["results"][0]["windows"] >= 1 and out["data"].startswith("BTC,ETH ")
    assert main(["data", "list", "--db", str(tmp_db), "--json"]) == 0
    first_day = json.loads(capsys.readouterr().out)["candles"][0]["first"]
    split = str(datetime.fromisoformat(first_day).date() + timedelta(days=180))  # a window start (step 45)
    assert main(["evolve", "--data", "hl:BTC,ETH@1d", "--split", split, "--pop", "6", "--gens", "1",
                 "--db", str(tmp_db), "--json"]) == 0
    capsys.readouterr()
    assert main(["report", "1", "--db", str(tmp_db), "--json", "--random-genomes", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["run_id"] == 1 and doc["data"]["assets"] == ["BTC", "ETH"]


def test_a_cancelled_hl_run_resumes_after_the_cache_has_grown(replay_paper, tmp_db, store, evolution_repo, capsys):
    from console.services.data_spec import data_loader
    from core.evolution.evaluator import make_evaluator

    assert main(["data", "fetch", "--coins", "BTC,ETH", "--base-url", replay_paper.base_url,
                 "--db", str(tmp_db)]) == 0
    load = data_loader(["hl:BTC,ETH@1d"], None, lambda: store)
    evaluate, fingerprint, desc = make_evaluator(["hl:BTC,ETH@1d"], load=load)
    cfg = EvolutionConfig(population_size=6, generations=2, seed=1, fitness="dn")  # make_evaluator's scalar objective
    run_id = create_run(evolution_repo, cfg, fingerprint, desc,
                        data_paths=load.recorded, split=evaluate.split)
    asked = []
    assert execute_run(evolution_repo, run_id, evaluate, fingerprint,
                       should_stop=lambda: len(asked.append(1) or asked) > 1).status == "cancelled"
    replay_paper.fast_forward(3 * MINUTES_PER_DAY)  # three more daily candles reach the cache
    capsys.readouterr()
    assert main(["data", "fetch", "--coins", "BTC,ETH", "--base-url", replay_paper.base_url,
                 "--db", str(tmp_db)]) == 0
    assert "+3 candles" in capsys.readouterr().out
    assert main(["resume", str(run_id), "--db", str(tmp_db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["status"] == "finished"


def test_hl_specs_parse_and_pin_round_trip():
    from console.services.data_spec import HlSpec, parse_hl_spec, parse_time_ms
    from core.errors import BadInputError

    spec = parse_hl_spec("hl:mainnet:BTC,ETH@4h/2024-01-01..2024-05-01T04:00:00")
    assert spec == HlSpec(("BTC", "ETH"), "4h", "mainnet", parse_time_ms("2024-01-01"),
                          parse_time_ms("2024-05-01T04:00"))
    assert parse_hl_spec(spec.text()) == spec
    assert parse_hl_spec("hl:SOL") == HlSpec(("SOL",), "1d")
    for bad in ("hl:", "hl:BTC@7x", "hl:BTC@1d/yesterday..", "hl:moon:BTC"):
        with pytest.raises(BadInputError):
            parse_hl_spec(bad)
