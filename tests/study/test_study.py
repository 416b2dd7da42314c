"""Stop-study kernel: hand-made bars for each exit kind, and vectorbt 1.2 as the oracle."""
from __future__ import annotations

import numpy as np
import pytest

from core.study.enums import N_EXIT_KINDS, ExitKind
from core.study.runner import StudyConfig, load_study_inputs, run_study
from core.study.study_nb import exit_bar_and_price_nb, long_total_return_nb, study_returns_nb
from core.study.vectorbt_reference import vectorbt_backtests

FEE = SLIP = 0.0025


def bars(*rows: tuple[float, float, float, float]) -> tuple[np.ndarray, ...]:
    """(open, high, low, close) rows -> four float arrays."""
    o, h, lo, c = (np.array(col, dtype=np.float64) for col in zip(*rows))
    return o, h, lo, c


def exit_of(prices, kind: int, stop: float = 0.05, random_bar: int = 1) -> tuple[int, float]:
    o, h, lo, c = prices
    offset, price = exit_bar_and_price_nb(o, h, lo, c, 0, o.shape[0], kind, stop, random_bar)
    return int(offset), float(price)


FLAT = (100.0, 101.0, 99.0, 100.0)


def test_stop_loss_fills_at_the_stop_price_when_a_bar_trades_through_it():
    prices = bars(FLAT, (99.0, 100.0, 94.0, 96.0), FLAT)
    assert exit_of(prices, ExitKind.StopLoss, 0.05) == (1, 95.0)


def test_stop_loss_fills_at_the_open_when_the_bar_gaps_below_it():
    prices = bars(FLAT, (90.0, 92.0, 88.0, 91.0), FLAT)
    assert exit_of(prices, ExitKind.StopLoss, 0.05) == (1, 90.0)


def test_stops_are_not_checked_on_the_entry_bar():
    prices = bars((100.0, 130.0, 50.0, 100.0), FLAT, FLAT)
    assert exit_of(prices, ExitKind.StopLoss, 0.05) == (2, 100.0)
    assert exit_of(prices, ExitKind.TakeProfit, 0.05) == (2, 100.0)


def test_trailing_stop_trails_the_highs_of_bars_after_entry():
    # Entry-bar high 120 is ignored; bar 1's high 110 raises the stop to 99 for bar 2.
    prices = bars((100.0, 120.0, 99.0, 100.0), (100.0, 110.0, 105.0, 108.0), (104.0, 105.0, 98.0, 100.0), FLAT)
    assert exit_of(prices, ExitKind.TrailingStop, 0.10) == (2, 99.0)
    assert exit_of(prices, ExitKind.StopLoss, 0.10) == (3, 100.0)  # a fixed stop stays at 90


def test_trailing_stop_is_not_raised_by_the_high_of_the_bar_it_checks():
    # Bar 1 reaches 130 then 95: whether the high came first is unknown, so the stop stays at 90.
    prices = bars(FLAT, (100.0, 130.0, 95.0, 120.0), (120.0, 121.0, 119.0, 120.0))
    assert exit_of(prices, ExitKind.TrailingStop, 0.10) == (2, 120.0)


def test_take_profit_fills_at_its_level_or_at_the_open_on_a_gap_up():
    touched = bars(FLAT, (101.0, 111.0, 100.0, 105.0), FLAT)
    offset, price = exit_of(touched, ExitKind.TakeProfit, 0.10)
    assert offset == 1 and price == pytest.approx(110.0, rel=1e-15)
    gapped = bars(FLAT, (115.0, 118.0, 113.0, 116.0), FLAT)
    assert exit_of(gapped, ExitKind.TakeProfit, 0.10) == (1, 115.0)


def test_random_exit_fills_at_the_close_of_its_bar():
    prices = bars(FLAT, (100.0, 102.0, 98.0, 101.5), FLAT)
    assert exit_of(prices, ExitKind.Random, random_bar=1) == (1, 101.5)


def test_hold_and_untouched_stops_exit_at_the_last_close():
    prices = bars(FLAT, FLAT, (100.0, 101.0, 60.0, 103.0))
    assert exit_of(prices, ExitKind.Hold) == (2, 103.0)
    assert exit_of(prices, ExitKind.StopLoss, 1.0) == (2, 103.0)  # a 100% stop can never fire
    assert exit_of(prices, ExitKind.TrailingStop, 0.5) == (2, 103.0)


def test_round_trip_pays_fee_and_slippage_on_both_sides():
    assert long_total_return_nb(100.0, 110.0, 0.0, 0.0) == pytest.approx(0.10, abs=1e-15)
    expected = (110.0 * (1 - SLIP) * (1 - FEE)) / (100.0 * (1 + SLIP) * (1 + FEE)) - 1
    assert long_total_return_nb(100.0, 110.0, FEE, SLIP) == pytest.approx(expected, abs=1e-15)


def test_kernel_shapes_and_hold_repeated_across_levels():
    o, h, lo, c = bars(FLAT, (99.0, 100.0, 94.0, 96.0), FLAT, (100.0, 112.0, 99.0, 111.0), FLAT)
    rows = [np.ascontiguousarray(np.stack([x, x * 2])) for x in (o, h, lo, c)]
    levels = np.array([0.05, 0.10, 1.0])
    random_bars = np.ones((2, 2, 3), dtype=np.int64)
    ret, off = study_returns_nb(*rows, np.array([0, 1]), 4, levels, random_bars, FEE, SLIP)
    assert ret.shape == off.shape == (2, 2, N_EXIT_KINDS, 3)
    assert np.all(ret[:, :, ExitKind.Hold, :] == ret[:, :, ExitKind.Hold, :1])
    assert off[0, 0, ExitKind.StopLoss].tolist() == [1, 3, 3]
    assert off[0, 0, ExitKind.TakeProfit].tolist() == [3, 3, 3]  # the 112 high is bar 3, the last
    assert np.allclose(ret[0], ret[1], atol=1e-12)  # doubling every price changes no return


# ---- vectorbt as the oracle ---------------------------------------------------------------

@pytest.fixture(scope="module")
def full_study(daily_dir):
    config = StudyConfig()
    inputs = load_study_inputs(daily_dir, None, config.start, config.end)
    return inputs, run_study(inputs, config)


def test_random_sample_of_the_full_study_matches_vectorbt(full_study):
    inputs, result = full_study
    n_assets, n_windows, _, n_levels = result.total_returns.shape
    rng = np.random.default_rng(2024)
    per_kind = 60
    kinds = np.repeat(np.arange(N_EXIT_KINDS), per_kind)  # 300 backtests, 60 of each kind
    a = rng.integers(0, n_assets, kinds.size)
    w = rng.integers(0, n_windows, kinds.size)
    lv = rng.integers(0, n_levels, kinds.size)
    expected, exit_offsets = vectorbt_backtests(
        inputs.open, inputs.high, inputs.low, inputs.close, a, result.window_starts[w],
        result.config.window_bars, kinds, result.stop_levels[lv], result.random_exit_bars[a, w, lv],
        result.config.fee_rate, result.config.slippage_rate)
    np.testing.assert_allclose(result.total_returns[a, w, kinds, lv], expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(result.exit_offsets[a, w, kinds, lv], exit_offsets)
    assert np.mean(exit_offsets < result.config.window_bars - 1) > 0.3  # the sample exercises stops


def gappy_market(n_assets: int, n_bars: int, seed: int) -> list[np.ndarray]:
    """Bars whose opens gap up to +-8% from the previous close, so stops often fill at the open."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.04, (n_assets, n_bars)), axis=1))
    prev = np.concatenate([close[:, :1], close[:, :-1]], axis=1)
    open_ = prev * (1 + rng.uniform(-0.08, 0.08, (n_assets, n_bars)))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.05, (n_assets, n_bars)))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.05, (n_assets, n_bars)))
    return [np.ascontiguousarray(x) for x in (open_, high, low, close)]


def test_gappy_synthetic_market_matches_vectorbt_on_every_backtest():
    o, h, lo, c = gappy_market(2, 120, seed=7)
    window_bars, starts = 30, np.arange(0, 90, 10)
    levels = np.arange(1, 41, dtype=np.float64) / 100.0
    random_bars = np.random.default_rng(1).integers(1, window_bars, (2, starts.size, levels.size))
    ret, off = study_returns_nb(o, h, lo, c, starts, window_bars, levels, random_bars, FEE, SLIP)
    a, w, k, lv = (x.ravel() for x in np.indices(ret.shape))
    expected, exit_offsets = vectorbt_backtests(o, h, lo, c, a, starts[w], window_bars, k, levels[lv],
                                                random_bars[a, w, lv], FEE, SLIP)
    np.testing.assert_allclose(ret.ravel(), expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(off.ravel(), exit_offsets)
    gap_fills = sum(
        exit_bar_and_price_nb(o[ai], h[ai], lo[ai], c[ai], starts[wi], window_bars, ki, levels[li], 1)[1]
        == o[ai, starts[wi] + off[ai, wi, ki, li]]
        for ai, wi, ki, li in zip(a, w, k, lv) if ki in (ExitKind.StopLoss, ExitKind.TrailingStop, ExitKind.TakeProfit)
    )
    assert gap_fills > 100  # the comparison covers fills at the open, not only at the stop price
