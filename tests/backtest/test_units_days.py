"""Time genes, windows and lookbacks are in days whatever the bar interval (SPEC sections 2, 3):
hourly data gets 180-day windows of 4,320 bars, a 10-day time exit of 240 bars, and `promote`
says which bars a genome was evolved on."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.backtest import baselines
from core.backtest import enums as E
from core.backtest import indicators_nb as ind
from core.backtest.api import window_detail
from core.backtest.dataset import BacktestConfig, build_dataset
from core.market.interval import conversion_problem, interval_name, interval_ns
from core.market.loader import load_many


@pytest.fixture(scope="module")
def hourly(hourly_dir):
    series = load_many([hourly_dir / "BTC.csv"])
    cut = series[0].slice(0, 12_000)  # enough for two 180-day windows, fast to build
    return build_dataset([cut], BacktestConfig())


def test_hourly_data_gets_180_day_windows_of_4320_bars(hourly):
    assert hourly.bar_interval == "1h" and hourly.bars_per_day == 24.0
    assert hourly.config.window_bars == 4320 and hourly.config.window_step_bars == 1080
    assert np.all(np.diff(hourly.window_starts) == 1080)


def test_the_vol_lookback_gene_reads_days_on_hourly_bars(hourly):
    """Slot 0 of the precomputed indicators is gene 9's 10 days: 240 hourly bars, not 10."""
    close = hourly.close[0]
    expected = ind.rolling_return_std_nb(close, 240)
    assert np.allclose(hourly.vol[0, 0], expected, equal_nan=True)
    assert not np.allclose(hourly.vol[0, 0], ind.rolling_return_std_nb(close, 10), equal_nan=True)


def test_a_10_day_time_exit_holds_240_hourly_bars(hourly):
    row = baselines.hold_params()
    row[E.MAX_HOLD] = 10.0  # days, as decoded from the genome
    trades = window_detail(hourly, row, 0).trades
    timed = trades[trades["kind"] == E.EXIT_TIME]
    assert timed.shape[0] > 0
    assert np.all(timed["exit_bar"] - timed["entry_bar"] == 240)


def test_daily_data_keeps_its_bars_and_fingerprint_inputs():
    cfg = BacktestConfig().resolved(1.0)
    assert cfg.window_bars == 180 and cfg.window_step_bars == 45
    assert "window_days" not in cfg.fingerprint_dict()
    assert BacktestConfig(window_bars=60, window_step_bars=30).resolved(24.0).window_bars == 60  # explicit bars win


def test_interval_names_round_trip_and_coarse_bars_cannot_be_converted():
    for name in ("1d", "4h", "1h", "15m", "1w"):
        assert interval_name(interval_ns(name)) == name
    assert conversion_problem("1h", "1d") is None and conversion_problem(None, "1d") is None
    assert "too coarse" in conversion_problem("1w", "1d")
    assert "unknown bar interval" in conversion_problem("hourly", "1d")


def _genome_file(tmp_path, **meta):
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"genes": [0.5] * 22, **meta}))
    return str(path)


def test_promote_shows_the_interval_a_genome_was_evolved_on(tmp_path, capsys):
    from console.cli import main

    db = str(tmp_path / "p.db")
    assert main(["promote", "--file", _genome_file(tmp_path, bar_interval="1h"), "--db", db, "--by", "op"]) == 0
    assert "evolved on: 1h candles; the monitor reads 1d candles" in capsys.readouterr().out


def test_promote_refuses_a_genome_it_cannot_convert_and_stores_nothing(tmp_path, capsys):
    from console.cli import main

    db = str(tmp_path / "p.db")
    assert main(["promote", "--file", _genome_file(tmp_path, bar_interval="1w"), "--db", db, "--by", "op"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not promoted: evolved on 1w bars" in err
    assert main(["promotions", "--db", db]) == 0
    assert "nothing promoted" in capsys.readouterr().out


def test_the_console_promotion_evidence_names_the_interval_and_refuses_a_coarse_one(
        tmp_db, store, daily_dir):
    from console.cli import main
    from console.services.runs import promotion_candidate
    from core.errors import BadInputError

    assert main(["evolve", "--data", str(daily_dir / "BTC.csv"), str(daily_dir / "ETH.csv"), "--pop", "4", "--gens", "1",
                 "--db", str(tmp_db), "--json"]) == 0
    cand = promotion_candidate(store, 1)
    assert cand.oos_metrics["evolved_on"].startswith("evolved on: 1d candles")
    with store.transaction() as conn:  # a run evolved on weekly bars: 10-day lookbacks are not 2 bars
        conn.execute("UPDATE runs SET bar_interval = '1w' WHERE id = 1")
    with pytest.raises(BadInputError, match="not promoted: evolved on 1w bars"):
        promotion_candidate(store, 1)


def test_the_emergency_cool_down_is_ten_days_on_any_bars(hourly):
    """The backtest's peak reset after EMERGENCY (SPEC 4) waits 10 days: 10 daily bars, 240 hourly."""
    from core.policy import emergency_cooldown_bars

    assert emergency_cooldown_bars(365.0) == 10
    assert emergency_cooldown_bars(hourly.periods_per_year) == 240
    assert emergency_cooldown_bars(365.0 * 24 * 60) == 14_400


def test_an_hourly_evolve_says_its_windows_in_bars_and_days(tmp_path, capsys, hourly_dir):
    """`evorisk evolve` on hourly candles trains on 180-day windows of 4,320 bars and says so."""
    from console.cli import main

    source = hourly_dir / "BTC.csv"
    cut = tmp_path / "BTC.csv"
    with source.open() as fh:
        cut.write_text("".join(line for _, line in zip(range(12_001), fh)))
    assert main(["evolve", "--data", str(cut), "--pop", "4", "--gens", "1", "--db", str(tmp_path / "h.db")]) == 0
    out = capsys.readouterr().out
    assert "bars: 1h; " in out and " training windows of 4320 bars (180 days) every 1080 bars (45 days)" in out
    assert "fitness mode: --fitness " in out
    assert "max_hold_days" in out and "bars" not in out.split("max_hold_days")[1].splitlines()[0]
