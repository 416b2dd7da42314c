"""`evorisk backtest` (SPEC section 11): tables on a TTY, the JSON contract with --json."""
from __future__ import annotations

import json

import numpy as np

from console.cli import main
from core.genome import save_genome_file


def test_backtest_json_contract_for_a_list_of_genomes(tmp_path, daily_dir, capsys):
    path = tmp_path / "two.json"
    path.write_text(json.dumps([{"genes": [0.5] * 22}, {"genes": [0.2] * 22, "label": "tight"}]))
    rc = main(["backtest", "--data", str(daily_dir / "BTC.csv"), str(daily_dir / "ETH.csv"),
               "--genome", str(path), "--start", "2018-01-01", "--end", "2022-01-01", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["results"]) == 2 and out["eval_seconds"] >= 0
    first = out["results"][0]
    assert np.isfinite(first["fitness"]) and first["windows"] == len(first["per_window"]) > 10
    assert set(first["regimes"]) <= {"bull_volatile", "bear_volatile", "sideways_volatile",
                                     "bull_stable", "bear_stable", "sideways_stable"}
    assert out["results"][1]["meta"] == {"label": "tight"}
    assert out["results"][0]["fitness"] != out["results"][1]["fitness"]


def test_backtest_table_names_regimes_and_costs(tmp_path, daily_dir, capsys):
    path = tmp_path / "g.json"
    save_genome_file(path, np.full(22, 0.5))
    assert main(["backtest", "--data", str(daily_dir / "BTC.csv"), "--genome", str(path)]) == 0
    out = capsys.readouterr().out
    assert "per regime" in out and "per window" in out and "fitness" in out and "Hyperliquid" in out


def test_backtest_bad_genome_is_one_line_exit_2(tmp_path, daily_dir, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"genes": [0.5] * 20}))
    assert main(["backtest", "--data", str(daily_dir / "BTC.csv"), "--genome", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "22 values" in err[0]


def test_backtest_without_full_window_is_a_clear_error(tmp_path, daily_dir, capsys):
    path = tmp_path / "g.json"
    save_genome_file(path, np.full(22, 0.5))
    rc = main(["backtest", "--data", str(daily_dir / "BTC.csv"), "--genome", str(path),
               "--start", "2021-12-01", "--end", "2022-01-01"])
    assert rc == 2
    assert "no complete 180-bar window" in capsys.readouterr().err
