"""The 22 genes and the portfolio rules in the kernel (SPEC sections 2, 4, 5)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import policy
from core.backtest import enums as E
from core.backtest.api import (BacktestConfig, build_dataset, decode_matrix, evaluate_population,
                               load_dataset, window_detail)
from core.genome import GENE_SPECS, N_GENES, decode
from core.monitor.levels import stop_params
from core.regimes import REGIME_MULT
from tests.support.kernel_inputs import make_series, neutral_params, with_entries


@pytest.fixture(scope="module")
def ten_coins(daily_dir):
    return load_dataset([daily_dir], BacktestConfig(start="2018-01-01", end="2022-01-01", sides="both"))


def base_genes() -> np.ndarray:
    g = np.full(N_GENES, 0.5)
    g[6] = 0.9  # scaled take-profits on, so tp_levels matters
    return g


@pytest.mark.parametrize("spec", GENE_SPECS, ids=lambda s: s.name)
def test_every_gene_changes_a_decision(ten_coins, spec):
    low, high = base_genes(), base_genes()
    low[spec.index], high[spec.index] = 0.05, 0.95
    result = evaluate_population(ten_coins, np.vstack([low, high]))
    assert not np.array_equal(result.metrics[0], result.metrics[1]), f"{spec.name} changed nothing"


def test_decode_matrix_matches_genome_decode():
    genes = np.random.default_rng(5).random((20, N_GENES))
    genes[0] = 0.0
    genes[1] = 1.0
    genes[2, 19:22] = 0.0
    m = decode_matrix(genes)
    for row, g in zip(m, genes):
        params = decode(g)
        for spec in GENE_SPECS:
            assert row[spec.index] == pytest.approx(float(getattr(params, spec.name)), abs=1e-15)


def test_fitness_is_deterministic_bit_for_bit(ten_coins):
    genes = np.random.default_rng(1).random((16, N_GENES))
    a = evaluate_population(ten_coins, genes).fitness
    b = evaluate_population(ten_coins, genes[::-1]).fitness[::-1]
    assert a.tobytes() == b.tobytes()
    assert np.all(np.isfinite(a))


def tiny_dataset(closes: dict[str, np.ndarray], **cfg) -> object:
    series = [make_series(name, c, wick=0.002) for name, c in closes.items()]
    return build_dataset(series, BacktestConfig(window_bars=len(next(iter(closes.values()))) - 1,
                                                window_step_bars=1000, fee_pct=0.0, slippage_pct=0.0, **cfg))


def test_time_exit_fires_without_vote():
    ds = with_entries(tiny_dataset({"A": np.linspace(100, 104, 60)}), long_bars=[5])
    params = neutral_params(max_hold=10, w_sl=0.0, w_trail=0.0, w_tp=0.0)
    d = window_detail(ds, params, 0)
    kinds = d.trades["kind"].tolist()
    assert kinds[0] == E.EXIT_TIME
    assert d.trades[0]["exit_bar"] - d.trades[0]["entry_bar"] == 10


def test_no_stop_exit_without_enough_votes():
    crash = np.concatenate((np.full(10, 100.0), np.linspace(100, 40, 20), np.full(30, 40.0)))
    ds = with_entries(tiny_dataset({"A": crash}), long_bars=[5])
    quiet = window_detail(ds, neutral_params(sl_pct=0.05, w_sl=0.0, w_trail=0.0, w_tp=0.0), 0)
    loud = window_detail(ds, neutral_params(sl_pct=0.05, w_sl=1.0, w_trail=0.0, w_tp=0.0), 0)
    assert quiet.trades[0]["kind"] == E.EXIT_END
    assert loud.trades[0]["kind"] == E.EXIT_SL


def mirrored(series, pivot):
    """The same bars reflected around `pivot`: every up move becomes the same down move."""
    return dataclasses.replace(series, open=2 * pivot - series.open, high=2 * pivot - series.low,
                               low=2 * pivot - series.high, close=2 * pivot - series.close)


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_short_positions_mirror_long_ones(seed):
    rng = np.random.default_rng(seed)
    up = make_series("A", 100 + np.cumsum(rng.normal(0.1, 1.5, 80)), wick=0.004)
    entry_bar = 4  # signal at the close of bar 3, filled at the open of bar 4
    down = mirrored(up, up.open[entry_bar])
    cfg = BacktestConfig(window_bars=79, window_step_bars=1000, fee_pct=0.0, slippage_pct=0.0, sides="both")
    long_ds = with_entries(build_dataset([up], cfg), long_bars=[entry_bar - 1])
    short_ds = with_entries(build_dataset([down], cfg), short_bars=[entry_bar - 1])
    params = neutral_params(sl_pct=0.04, tp_pct=0.06, w_sl=0.5, w_trail=0.0, w_tp=0.5)
    lt = window_detail(long_ds, params, 0).trades
    st = window_detail(short_ds, params, 0).trades
    assert len(lt) == len(st) == 1
    assert lt[0]["side"] == 1 and st[0]["side"] == -1
    assert lt[0]["kind"] == st[0]["kind"] and lt[0]["exit_bar"] == st[0]["exit_bar"]
    assert st[0]["exit_px"] == pytest.approx(2 * up.open[entry_bar] - lt[0]["exit_px"], rel=1e-12)


def bars_with(bar: int, o: float, h: float, lo: float, c: float, n: int = 22):
    series = make_series("A", np.full(n, 100.0), wick=0.001)
    for arr, v in ((series.open, o), (series.high, h), (series.low, lo), (series.close, c)):
        arr[bar] = v
    return series


def one_bar_case(bar_ohlc, **params):
    series = bars_with(11, *bar_ohlc)
    cfg = BacktestConfig(window_bars=21, window_step_bars=1000, fee_pct=0.0, slippage_pct=0.0)
    ds = with_entries(build_dataset([series], cfg), long_bars=[4])
    return window_detail(ds, neutral_params(**params), 0).trades[0]


def test_gap_through_stop_fills_at_the_open():
    ev = one_bar_case((80.0, 81.0, 79.0, 80.5), sl_pct=0.05, w_sl=1.0, w_trail=0.0, w_tp=0.0)
    assert ev["kind"] == E.EXIT_SL and ev["exit_bar"] == 11
    assert ev["exit_px"] == pytest.approx(80.0)


def test_stop_touched_intrabar_fills_at_the_stop_price():
    ev = one_bar_case((100.0, 100.5, 90.0, 99.0), sl_pct=0.05, w_sl=1.0, w_trail=0.0, w_tp=0.0)
    assert ev["exit_px"] == pytest.approx(95.0)


def test_adverse_level_first_when_stop_and_target_share_a_bar():
    ev = one_bar_case((100.0, 103.0, 90.0, 99.0), sl_pct=0.05, tp_pct=0.02, w_sl=0.5, w_trail=0.0, w_tp=0.5)
    assert ev["kind"] == E.EXIT_SL and ev["exit_px"] == pytest.approx(95.0)


def test_take_profit_gap_fills_at_the_better_open():
    ev = one_bar_case((110.0, 111.0, 109.0, 110.0), tp_pct=0.05, w_sl=0.0, w_trail=0.0, w_tp=1.0)
    assert ev["kind"] == E.EXIT_TP and ev["exit_px"] == pytest.approx(110.0)


def test_scaled_take_profit_exits_in_equal_parts():
    path = np.concatenate((np.full(6, 100.0), np.linspace(100, 130, 12), np.full(10, 130.0)))
    ds = with_entries(tiny_dataset({"A": path}), long_bars=[3])
    d = window_detail(ds, neutral_params(tp_pct=0.21, tp_scaling=1, tp_levels=3, w_tp=1.0, w_sl=0.0, w_trail=0.0), 0)
    tp = d.trades[d.trades["kind"] == E.EXIT_TP]
    assert len(tp) == 3
    np.testing.assert_allclose(tp["units"], tp[0]["units"])
    np.testing.assert_allclose(tp["exit_px"], [107, 114, 121], rtol=1e-12)


def test_stop_level_comes_from_the_shared_policy():
    rng = np.random.default_rng(8)
    path = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.03, 400)))
    path[300:] = path[299] * np.linspace(1.0, 0.6, 100)
    ds = build_dataset([make_series("A", path, wick=0.01)], BacktestConfig(window_bars=150, window_step_bars=1000,
                                                                            start=None))
    ds = dataclasses.replace(ds, window_starts=np.array([250]), participation=np.ones((1, 1), bool),
                             window_regime=np.array([0]))
    ds = with_entries(ds, long_bars=[290])
    genes = base_genes()
    params = decode_matrix(genes[None])[0]
    d = window_detail(ds, params, 0)
    exit_ev = d.trades[0]
    assert exit_ev["kind"] == E.EXIT_SL
    t = int(exit_ev["exit_bar"])
    entry = int(exit_ev["entry_bar"])
    p = decode(genes)
    lb = p.vol_lookback - E.MIN_LOOKBACK
    rg = ds.regime[0, t - 1]
    sl, _, _ = policy.stop_distances(stop_params(p), policy.StopContext(
        *REGIME_MULT[rg], ds.vol[lb, 0, t - 1] / ds.avg_vol[lb, 0, t - 1], ds.atr[lb, 0, t - 1],
        float(t - entry), bool(ds.momentum[0, t - 1] > 0), policy.stops_tightened(int(d.states[t - 250 - 1]))))
    level = ds.open[0, entry] * (1 - sl)
    expected = min(level, ds.open[0, t])
    assert exit_ev["exit_px"] == pytest.approx(expected * (1 - ds.config.slippage_pct), rel=1e-12)


def test_breaker_states_match_the_policy_on_the_same_equity_path():
    rng = np.random.default_rng(2)
    closes = {c: 100 * np.exp(np.cumsum(rng.normal(0.001, 0.02, 260))) for c in "ABC"}
    for c in closes.values():
        c[200:] = c[199] * np.linspace(1, 0.75, 60)
    ds = tiny_dataset(closes)
    ds = dataclasses.replace(ds, entry_long=np.ones_like(ds.entry_long))
    params = neutral_params(max_dd=0.06, conc_limit=0.34, w_sl=0.0, w_trail=0.0, w_tp=0.0)
    d = window_detail(ds, params, 0)
    state, hwm = policy.NORMAL, ds.config.initial_cash_usd
    seen = set()
    for i, equity in enumerate(d.equity):
        if d.states[i - 1] == policy.EMERGENCY if i else False:
            break  # cooldown and HWM reset are backtest-only; compare up to the first EMERGENCY
        hwm = max(hwm, equity)
        state = policy.breaker_next_state(state, policy.drawdown_fraction(equity, hwm) / 0.06)
        assert d.states[i] == state, f"bar {i}"
        seen.add(state)
    assert {policy.TIGHTENED, policy.REDUCING} <= seen
    kinds = set(d.trades["kind"].astype(int))
    assert E.EXIT_REDUCE in kinds


def test_concentration_caps_entry_size():
    closes = {c: np.linspace(100, 120, 60) for c in "ABCD"}
    ds = tiny_dataset(closes)
    ds = dataclasses.replace(ds, entry_long=np.ones_like(ds.entry_long))
    d = window_detail(ds, neutral_params(conc_limit=0.1, w_sl=0.0, w_trail=0.0, w_tp=0.0), 0)
    first = d.trades  # all four close at the end
    notional = first["units"] * first["entry_px"]
    assert np.all(notional <= 0.1 * ds.config.initial_cash_usd + 1e-6)


def test_correlation_limit_blocks_new_entries():
    rng = np.random.default_rng(4)
    base = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 120)))
    closes = {"A": base, "B": base * 1.5}  # perfectly correlated
    cfg = BacktestConfig(window_bars=50, window_step_bars=1000, fee_pct=0.0, slippage_pct=0.0)
    ds = build_dataset([make_series(n, c) for n, c in closes.items()], cfg)
    ds = dataclasses.replace(ds, window_starts=np.array([60]), participation=np.ones((1, 2), bool))
    el = np.zeros_like(ds.entry_long)
    el[0, 70] = True
    el[1, 75] = True
    ds = dataclasses.replace(ds, entry_long=el)
    tight = window_detail(ds, neutral_params(corr_limit=0.4, conc_limit=0.5, w_sl=0.0, w_trail=0.0, w_tp=0.0), 0)
    loose = window_detail(ds, neutral_params(corr_limit=1.5, conc_limit=0.5, w_sl=0.0, w_trail=0.0, w_tp=0.0), 0)
    assert set(tight.trades["asset"].astype(int)) == {0}
    assert set(loose.trades["asset"].astype(int)) == {0, 1}
