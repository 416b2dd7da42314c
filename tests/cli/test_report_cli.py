"""`evorisk evolve --split`, `evorisk report` and `evorisk export` as an operator or a script sees them."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from console.cli import main
from core.genome import load_genome_file
from storage import Store
from storage.evolution_repo import EvolutionRepo

ASSETS = ("BTC.csv", "ETH.csv", "XRP.csv")
STRATEGIES = {"evolved", "stop_loss", "trailing", "take_profit", "hold_entries", "basket", "random_median"}
METRICS = {"sharpe", "max_drawdown", "win_rate", "profit_factor", "total_return", "fitness", "trades"}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, daily_dir):
    """One small real evolution with the default split: (db path, data paths)."""
    db = tmp_path_factory.mktemp("report") / "evorisk.db"
    paths = [str(daily_dir / a) for a in ASSETS]
    assert main(["evolve", "--data", *paths, "--pop", "6", "--gens", "2", "--seed", "5", "--db", str(db),
                 "--json"]) == 0
    return db, paths


def _report_json(db, capsys, *extra) -> dict:
    capsys.readouterr()
    assert main(["report", "1", "--db", str(db), "--json", "--random-genomes", "20", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_evolve_records_the_default_split_in_the_run_config(finished_run):
    db, _ = finished_run
    doc = json.loads(EvolutionRepo(Store(db)).get_run(1)["config_json"])
    split = doc["validation"]
    assert split["rule"].startswith("default: the last 25% of the time axis") and split["test_end"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", split["train_end"])


def test_report_json_compares_every_baseline_on_test_windows_only(finished_run, capsys):
    db, _ = finished_run
    doc = _report_json(db, capsys)
    assert doc["format"] == "evorisk.report.walk_forward" and doc["run_id"] == 1
    assert set(doc["strategies"]) == STRATEGIES
    for s in doc["strategies"].values():
        assert set(s["overall"]) == METRICS and s["regimes"]
        assert all(np.isfinite(v) for v in s["overall"].values())
    split = doc["split"]
    assert split["test_windows"] == len(split["test"]) >= 5 and split["train_windows"] == len(split["train"])
    assert all(w["end"] < split["train_end"] for w in split["train"])
    assert all(w["start"] >= split["train_end"] for w in split["test"])
    for kind in ("stop_loss", "trailing", "take_profit"):
        assert 0.01 <= doc["strategies"][kind]["level"] <= 0.5
    # the default run optimises the inner-fold objective, so its best fitness is not the plain
    # training fitness the report recomputes (equal for a --folds 0 run, checked below)
    assert np.isfinite(doc["strategies"]["evolved"]["train_fitness"])
    assert [g["generation"] for g in doc["generations"]] == [0, 1, 2]
    assert len(doc["equity_curves"]["evolved"]) == 180 and doc["equity_curves"]["basket"][0] > 0
    assert "0.045%" in doc["costs"]["note"]


def test_the_verdict_states_both_claims_with_numbers(finished_run, capsys):
    db, _ = finished_run
    doc = _report_json(db, capsys)
    names = [c["name"] for c in doc["claims"]]
    assert names == ["sharpe", "drawdown"]
    for claim, line in zip(doc["claims"], doc["verdict"]):
        assert claim["text"] == line and isinstance(claim["holds"], bool)
        assert ("HOLDS" in line) == claim["holds"] and ("does NOT hold" in line) == (not claim["holds"])
        assert len(claim["comparisons"]) == 3 and re.search(r"\d+\.\d", line)
    assert doc["verdict"][0].startswith("Claim 1, Sharpe 1.5-2.5x that of fixed stops: ")
    assert doc["verdict"][1].startswith("Claim 2, max drawdown 30%-50% lower than fixed stops: ")


def test_report_json_carries_both_comparisons_intervals_pbo_and_deflated_sharpe(finished_run, capsys):
    db, _ = finished_run
    doc = _report_json(db, capsys)
    for rules, phrase in (("same_rules", "under the evolved genome's own portfolio rules"),
                          ("equal_exposure", "at plain equal weight and no portfolio rules")):
        block = doc[rules]
        assert set(block["strategies"]) == STRATEGIES and [c["name"] for c in block["claims"]] == ["sharpe", "drawdown"]
        for claim in block["claims"]:
            assert phrase in claim["text"] and claim["rules"] == rules
            for comp in claim["comparisons"]:
                assert {"evolved_ci_low", "evolved_ci_high", "other_ci_low", "other_ci_high", "effect_ci_low",
                        "effect_ci_high"} <= set(comp)
                assert comp["evolved_ci_low"] <= comp["evolved"] <= comp["evolved_ci_high"]
        for s in block["strategies"].values():
            for iv in s["intervals"].values():
                assert iv["ci_low"] <= iv["value"] <= iv["ci_high"]
    assert doc["equal_exposure"]["strategies"]["stop_loss"]["overall"] != doc["same_rules"]["strategies"]["stop_loss"]["overall"]
    # 6 + 2 x 6 children at most, fewer when copies or repeats are bred
    assert 6 <= doc["trials"] <= 18 and doc["trials_source"] == "recorded per generation"
    assert 0.0 <= doc["pbo"] <= 1.0 and doc["pbo_detail"]["candidates"] >= 2
    dsr = doc["deflated_sharpe"]
    assert 0.0 <= dsr["probability"] <= 1.0 and dsr["trials"] == doc["trials"]
    assert any(line.startswith("Deflated Sharpe ratio") for line in doc["verdict"])
    assert any(line.startswith("Probability of backtest overfitting") for line in doc["verdict"])


def test_report_text_prints_tables_and_the_verdict(finished_run, capsys):
    db, _ = finished_run
    capsys.readouterr()
    assert main(["report", "1", "--db", str(db), "--random-genomes", "20"]) == 0
    out = capsys.readouterr().out
    for text in ("out of sample: mean over test windows", "per regime", "verdict", "Claim 1, Sharpe",
                 "Claim 2, max drawdown", "split: default: the last 25%"):
        assert text in out


def test_html_report_is_written_and_self_contained(finished_run, capsys, tmp_path):
    db, _ = finished_run
    page = tmp_path / "report.html"
    capsys.readouterr()
    assert main(["report", "1", "--db", str(db), "--html", str(page), "--random-genomes", "20"]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Claim 1, Sharpe" in text and "Fitness mode: " in text
    assert not re.search(r"<script[^>]+src=", text)  # plotly.js is inline, the page opens offline
    assert "Plotly.newPlot" in text and text.count("Plotly.newPlot") == 4
    for title in ("Training fitness over generations", "Out-of-sample equity", "Sharpe per regime"):
        assert title in text


def test_report_is_deterministic(finished_run, capsys):
    db, _ = finished_run
    assert _report_json(db, capsys) == _report_json(db, capsys)


def test_export_writes_a_genome_file_that_round_trips(finished_run, capsys, tmp_path):
    db, _ = finished_run
    out = tmp_path / "best.json"
    assert main(["export", "1", str(out), "--db", str(db)]) == 0
    [(genes, meta)] = load_genome_file(out)
    best = EvolutionRepo(Store(db)).hall_of_fame(1)[0]
    assert tuple(genes) == best.genes and meta == {"run_id": 1, "fitness": best.fitness, "bar_interval": "1d"}
    assert set(json.loads(out.read_text())) == {"genes", "run_id", "fitness", "bar_interval"}
    assert json.loads(out.read_text())["bar_interval"] == "1d"
    capsys.readouterr()
    assert main(["backtest", "--data", *finished_run[1], "--genome", str(out), "--json"]) == 0


def test_an_explicit_split_trains_before_it_and_tests_after_it(finished_run, tmp_path, capsys):
    _, paths = finished_run
    db = tmp_path / "split.db"
    assert main(["evolve", "--data", *paths, "--pop", "4", "--gens", "1", "--split", "2021-01-01", "--db", str(db),
                 "--fitness", "dn", "--folds", "0", "--json"]) == 0
    doc = _report_json(db, capsys)
    assert doc["strategies"]["evolved"]["train_fitness"] == pytest.approx(doc["best_genome"]["fitness"], rel=1e-12)
    assert doc["split"]["train_end"] == "2021-01-01"
    assert doc["split"]["train"][-1]["end"] < "2021-01-01" <= doc["split"]["test"][0]["start"]
    assert doc["fitness"] == "dn" and doc["objective"]["folds"] == doc["objective"]["requested_folds"] == 0


def test_the_report_says_which_fitness_mode_produced_the_run(finished_run, capsys):
    """The default run left the mode and the folds to EvolutionConfig: the report names both, the
    folds as the data decided them."""
    from core.evolution import EvolutionConfig

    db, _ = finished_run
    doc = _report_json(db, capsys)
    obj = doc["objective"]
    assert doc["fitness"] == obj["fitness"] == EvolutionConfig().fitness
    assert obj["requested_folds"] == -1 and obj["folds"] == 2 and "2 inner folds" in obj["description"]
    assert main(["report", "1", "--db", str(db), "--random-genomes", "20"]) == 0
    out = capsys.readouterr().out
    assert f"fitness mode: --fitness {obj['fitness']} --folds auto: 2: " in out


def test_a_rolling_fold_records_its_test_block(finished_run, tmp_path, capsys):
    _, paths = finished_run
    db = tmp_path / "fold.db"
    assert main(["evolve", "--data", *paths, "--pop", "4", "--gens", "1", "--fold", "2/3", "--db", str(db),
                 "--json"]) == 0
    doc = _report_json(db, capsys)
    split = doc["split"]
    assert split["fold"] == 2 and split["folds"] == 3 and split["test_end"] is not None
    assert all(split["train_end"] <= w["start"] and w["end"] < split["test_end"] for w in split["test"])


@pytest.mark.parametrize("argv, message", [
    (["--split", "2031-01-01"], "lies outside the data"),
    (["--split", "tomorrow"], "is not a date"),
    (["--fold", "4/3"], "need 1 <= I <= K"),
])
def test_a_bad_split_is_one_line_and_exit_2(finished_run, tmp_path, capsys, argv, message):
    _, paths = finished_run
    capsys.readouterr()
    assert main(["evolve", "--data", *paths, "--pop", "4", "--gens", "1", "--db", str(tmp_path / "x.db"),
                 *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_report_of_an_unknown_run_is_one_line_and_exit_2(tmp_db, capsys):
    assert main(["report", "7", "--db", str(tmp_db)]) == 2
    assert capsys.readouterr().err.strip() == "evorisk: no evolution run 7"
