"""Property tests: random valid OHLC and random genomes never break the kernel's invariants."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.backtest import enums as E
from core.backtest.api import BacktestConfig, build_dataset, decode_matrix, evaluate_population, window_detail
from core.genome import N_GENES
from core.market.ohlcv import NS_PER_DAY, OHLCV


@st.composite
def markets(draw):
    n_assets = draw(st.integers(1, 3))
    n_bars = draw(st.integers(230, 320))
    seed = draw(st.integers(0, 2**32 - 1))
    daily_vol = draw(st.floats(0.005, 0.12))
    rng = np.random.default_rng(seed)
    series = []
    for a in range(n_assets):
        r = np.clip(rng.standard_t(3, n_bars) * daily_vol, -0.4, 0.4)
        close = 50 * np.exp(np.cumsum(r))
        open_ = np.concatenate(([50.0], close[:-1])) * np.exp(np.clip(rng.normal(0, daily_vol / 3, n_bars), -0.2, 0.2))
        high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, daily_vol, n_bars)))
        low = np.minimum(open_, close) * (1 - np.clip(np.abs(rng.normal(0, daily_vol, n_bars)), 0, 0.5))
        t = np.arange(n_bars, dtype=np.int64) * NS_PER_DAY
        series.append(OHLCV(f"A{a}", t, open_, high, low, close, np.ones(n_bars)))
    sides = draw(st.sampled_from(["long", "both"]))
    mode = draw(st.sampled_from(["momentum", "random"]))
    return build_dataset(series, BacktestConfig(window_bars=60, window_step_bars=30, sides=sides,
                                                entry_mode=mode, entry_seed=seed % 1000))


genomes = st.lists(st.floats(0.0, 1.0), min_size=N_GENES, max_size=N_GENES).map(np.array)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ds=markets(), genes=genomes)
def test_fitness_is_finite_and_equity_never_negative(ds, genes):
    result = evaluate_population(ds, genes[None])
    assert np.isfinite(result.fitness).all()
    assert np.isfinite(result.metrics).all()
    params = decode_matrix(genes[None])[0]
    for w in range(ds.n_windows):
        d = window_detail(ds, params, w)
        assert (d.equity > 0).all()
        trades = d.trades
        assert (trades["exit_bar"] >= trades["entry_bar"]).all(), "exit before entry"
        # stop-type exits never happen on the entry bar itself
        stop_kinds = np.isin(trades["kind"], [E.EXIT_SL, E.EXIT_TRAIL, E.EXIT_TP])
        assert (trades["exit_bar"][stop_kinds] > trades["entry_bar"][stop_kinds]).all()


@SETTINGS
@given(ds=markets(), genes=genomes)
def test_exposure_at_entry_never_above_concentration_limit(ds, genes):
    params = decode_matrix(genes[None])[0]
    limit = params[E.CONC_LIMIT]
    for w in range(ds.n_windows):
        d = window_detail(ds, params, w)
        w0 = int(ds.window_starts[w])
        keys = {(int(a), int(b)) for a, b in zip(d.trades["asset"], d.trades["entry_bar"])}
        for asset, entry_bar in keys:
            rows = d.trades[(d.trades["asset"] == asset) & (d.trades["entry_bar"] == entry_bar)]
            # REDUCING halves positions: undo it to get the units opened
            units = rows["units"].sum()
            notional = units * rows[0]["entry_px"]
            i = entry_bar - w0
            equity_before = d.equity[i - 1] if i > 0 else ds.config.initial_cash_usd
            assert notional <= limit * equity_before * (1 + 1e-9)
