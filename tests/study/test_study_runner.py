"""Stop study's thin layer: windows, seeded random exits, regimes, statistics and findings."""
from __future__ import annotations

import numpy as np
import pytest

from core.errors import BadInputError
from core.regimes import REGIME_NAMES, window_regime
from core.study.aggregate import aggregate
from core.study.enums import ExitKind
from core.study.runner import (StudyConfig, evenly_spaced_starts, load_study_inputs, random_exit_offsets,
                               run_study)
from core.study.summary import level_ranges, summary_lines

SMALL = StudyConfig(n_windows=12, seed=5)


@pytest.fixture(scope="module")
def small_study(daily_dir):
    inputs = load_study_inputs(daily_dir, ["BTC", "ETH", "XRP"], SMALL.start, SMALL.end)
    return inputs, run_study(inputs, SMALL)


def test_400_windows_of_180_days_spread_evenly_over_2018_to_2020():
    starts = evenly_spaced_starts(1096, 400, 180)  # 2018-01-01 .. 2020-12-31 is 1096 days
    assert starts.shape == (400,) and starts[0] == 0 and starts[-1] == 1096 - 180
    assert set(np.diff(starts).tolist()) <= {2, 3}


def test_more_windows_than_distinct_starts_is_bad_input():
    with pytest.raises(BadInputError, match="do not fit"):
        evenly_spaced_starts(200, 30, 180)


def test_random_exits_are_reproducible_for_a_seed_and_independent_of_other_coins():
    both = random_exit_offsets(("BTC", "ETH"), 50, 100, 180, seed=3)
    np.testing.assert_array_equal(both, random_exit_offsets(("BTC", "ETH"), 50, 100, 180, seed=3))
    np.testing.assert_array_equal(both[1], random_exit_offsets(("ETH",), 50, 100, 180, seed=3)[0])
    assert not np.array_equal(both, random_exit_offsets(("BTC", "ETH"), 50, 100, 180, seed=4))
    assert both.min() >= 1 and both.max() <= 179


def test_same_inputs_and_seed_give_the_same_returns_bit_for_bit(small_study):
    inputs, result = small_study
    again = run_study(inputs, SMALL, on_progress=lambda done, total: None)  # per-coin chunks
    np.testing.assert_array_equal(result.total_returns, again.total_returns)
    np.testing.assert_array_equal(result.exit_offsets, again.exit_offsets)


def test_window_regimes_use_the_shared_regime_rule(small_study):
    inputs, result = small_study
    for asset in range(len(inputs.assets)):
        for window, start in enumerate(result.window_starts):
            closes = inputs.close[asset, start:start + SMALL.window_bars]
            assert REGIME_NAMES[result.regimes[asset, window]] == window_regime(closes)


def test_statistics_cover_every_window_once(small_study):
    _, result = small_study
    stats = aggregate(result)
    assert stats.overall.n_samples == 3 * 12
    assert sum(s.n_samples for s in stats.by_regime.values()) == 3 * 12
    assert np.all(stats.overall.beat_hold_share[ExitKind.Hold] == 0)  # nothing beats itself
    hold = result.total_returns[:, :, ExitKind.Hold, 0]
    assert stats.overall.mean_return[ExitKind.Hold, 0] == pytest.approx(hold.mean())
    assert stats.overall.win_rate[ExitKind.Hold, 0] == pytest.approx((hold > 0).mean())
    assert stats.asset_mean_return.shape == (3, 5, 100)


def test_findings_are_sentences_with_numbers(small_study):
    _, result = small_study
    lines = summary_lines(result, aggregate(result))
    assert lines[0].startswith("18,000 backtests")
    assert any(line.startswith("trailing stop: mean return above hold's mean at") for line in lines)
    assert all("%" in line for line in lines)


def test_level_ranges_are_compressed():
    assert level_ranges([1, 2, 3, 7, 9, 10]) == "1-3%, 7%, 9-10%"
    assert level_ranges([]) == "none"


def test_coins_must_cover_the_whole_period(daily_dir):
    with pytest.raises(BadInputError, match="share one calendar"):
        load_study_inputs(daily_dir, ["BTC", "ETH"], "2017-01-01", "2018-06-01")  # ETH starts 2017-11-09
