"""`evorisk study` in-process: JSON, tables, HTML, and one-line errors with exit code 2."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main
from tests.support.paths import DAILY

pytestmark = pytest.mark.usefixtures("shared_data")  # DAILY below names paths; the fixture skips


def test_study_json_on_two_coins(capsys, daily_dir):
    rc = main(["study", "--data", str(daily_dir), "--assets", "BTC,ETH", "--windows", "8", "--seed", "9", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    payload = json.loads(out)
    assert payload["backtests"] == 2 * 8 * 5 * 100
    assert payload["config"]["assets"] == ["BTC", "ETH"] and payload["config"]["seed"] == 9
    assert len(payload["overall"]["trailing_stop"]["mean_return"]) == 100
    assert set(payload["findings"]) == {"stop_loss", "trailing_stop", "take_profit", "random"}
    assert payload["overall"]["n_samples"] == 16


def test_study_tables_and_self_contained_html(capsys, tmp_path: Path, daily_dir):
    html = tmp_path / "study.html"
    rc = main(["study", "--data", str(daily_dir), "--assets", "btc,eth,xrp", "--windows", "6", "--html", str(html)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Stop study: 9,000 backtests, 3 coins x 6 windows" in out
    assert "trailing stop" in out and "By window regime" in out
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in page
    assert "<script src=\"https://cdn.plot.ly" not in page and len(page) > 1_000_000  # plotly.js embedded


@pytest.mark.parametrize("argv,expected", [
    (["--data", "/nonexistent/dir"], "no such directory"),
    (["--data", str(DAILY), "--assets", "BTC,DOGE"], "no CSV for DOGE"),
    (["--data", str(DAILY), "--assets", "BTC", "--windows", "5000"], "do not fit"),
    (["--data", str(DAILY), "--assets", "BTC", "--start", "2018-13-01"], "not an ISO date"),
    (["--data", str(DAILY), "--assets", "BTC", "--fee", "1.5"], "--fee: fraction must be >= 0 and < 0.5, got 1.5"),
])
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, expected):
    rc = main(["study", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert expected in err and len(err.strip().splitlines()) == 1


def test_a_bad_csv_names_file_and_row(capsys, tmp_path: Path):
    (tmp_path / "BAD.csv").write_text("date,open,high,low,close,volume\n2018-01-01,10,9,11,10,5\n")
    rc = main(["study", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith(f"{tmp_path / 'BAD.csv'}:2: high 9.0 < low 11.0")
