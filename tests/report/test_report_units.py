"""Walk-forward splits, baseline parameter rows and the claims verdict, on tiny inputs."""
from __future__ import annotations

import numpy as np
import pytest

from core import policy
from core.backtest import baselines
from core.backtest import enums as E
from core.errors import BadInputError
from core.evolution.walkforward import Split, parse_fold, resolve_split
from core.market.ohlcv import NS_PER_DAY
from core.report.claims import judge_claims
from core.report.walk_forward import StrategyResult, WalkForwardResult

AXIS = np.datetime64("2020-01-01", "ns").astype(np.int64) + np.arange(1000, dtype=np.int64) * NS_PER_DAY


def day(i: int) -> str:
    return str(np.datetime64(int(AXIS[i]), "ns").astype("datetime64[D]"))


def test_default_split_holds_out_the_last_quarter_of_the_time_axis():
    split = resolve_split(AXIS)
    assert split.train_end == day(750) and split.test_end is None
    assert "last 25% of the time axis" in split.rule
    train, test = split.train_config(baselines_config()), split.test_config(baselines_config())
    assert (train.start, train.end) == (None, day(750)) and (test.start, test.end) == (day(750), None)


def baselines_config():
    from core.backtest.dataset import BacktestConfig

    return BacktestConfig()


def test_rolling_folds_cut_the_axis_in_k_plus_one_blocks():
    splits = [resolve_split(AXIS, fold=(i, 3)) for i in (1, 2, 3)]
    assert [s.train_end for s in splits] == [day(250), day(500), day(750)]
    assert splits[0].test_end == splits[1].train_end and splits[1].test_end == splits[2].train_end
    assert splits[2].test_end is None and splits[2].train_end == resolve_split(AXIS).train_end
    assert splits[1].fold == 2 and splits[1].folds == 3 and "rolling fold 2 of 3" in splits[1].rule


def test_a_split_round_trips_through_the_run_config_and_bad_ones_are_refused():
    split = resolve_split(AXIS, "2021-01-01")
    assert Split.from_dict(split.to_dict()) == split
    with pytest.raises(BadInputError, match="unreadable walk-forward split"):
        Split.from_dict({"train_end": "soon", "test_end": None, "rule": "x"})
    with pytest.raises(BadInputError, match="outside the data"):
        resolve_split(AXIS, "2019-06-01")
    assert parse_fold("2/5") == (2, 5)
    for text in ("2", "0/3", "a/b"):
        with pytest.raises(BadInputError):
            parse_fold(text)


def test_fixed_stop_rows_fire_only_their_own_kind():
    sl = baselines.fixed_stop_params("stop_loss", 0.07)
    assert sl[E.SL_PCT] == 0.07 and (sl[E.W_SL], sl[E.W_TRAIL], sl[E.W_TP]) == (1.0, 0.0, 0.0)
    trail = baselines.fixed_stop_params("trailing", 0.12)
    assert trail[E.TRAIL_PCT] == 0.12 and trail[E.TRAIL_ACT] == 0.0 and trail[E.W_TRAIL] == 1.0
    hold = baselines.hold_params()
    assert hold[E.W_SL] == hold[E.W_TRAIL] == hold[E.W_TP] == 0.0 and hold[E.MAX_HOLD] >= 1e9
    assert not policy.exit_vote_passes(hold[E.W_SL], hold[E.W_TRAIL], hold[E.W_TP], True, True, True)
    with pytest.raises(ValueError, match="unknown stop kind"):
        baselines.fixed_stop_params("time", 0.1)


def test_level_grids_stay_inside_the_kernels_clip_range():
    assert baselines.level_grid("stop_loss")[[0, -1]].tolist() == [0.01, 0.5]
    assert baselines.level_grid("trailing")[[0, -1]].tolist() == [0.01, 0.3]
    assert baselines.level_grid("take_profit")[[0, -1]].tolist() == [0.02, 0.5]
    levels, rows = baselines.fixed_stop_grid("take_profit")
    assert rows.shape == (49, E.N_PARAMS) and np.array_equal(rows[:, E.TP_PCT], levels)


def test_the_kernel_tests_use_the_same_neutral_row():
    from tests.support.kernel_inputs import neutral_params

    assert neutral_params is baselines.neutral_params


def _result(evolved: tuple[float, float], fixed: dict[str, tuple[float, float]]) -> WalkForwardResult:
    def strat(key, sharpe, dd, level=None):
        overall = dict(sharpe=sharpe, max_drawdown=dd, win_rate=0.5, profit_factor=1.0, total_return=0.1,
                       trades=3.0, fitness=0.5)
        return StrategyResult(key, key, np.zeros((1, E.N_METRICS)), 0.5, 0.5, level, None, overall, {})

    strategies = {"evolved": strat("evolved", *evolved)}
    strategies.update({k: strat(k, *v, level=0.1) for k, v in fixed.items()})
    return WalkForwardResult(strategies, ["bull_volatile"], 10, 4, 20, 0, {})


def test_claims_hold_only_against_each_fixed_stop_and_say_so_in_numbers():
    result = _result((1.8, 0.10), {"stop_loss": (1.0, 0.20), "trailing": (1.1, 0.16), "take_profit": (0.9, 0.25)})
    sharpe, drawdown = judge_claims(result)
    assert sharpe.holds and "HOLDS on this data" in sharpe.text and "1.800" in sharpe.text and "1.80x" in sharpe.text
    assert drawdown.holds and "50.0% lower" in drawdown.text and "3 of 3 met" in drawdown.text
    result = _result((1.8, 0.10), {"stop_loss": (1.0, 0.20), "trailing": (1.5, 0.12), "take_profit": (0.9, 0.25)})
    sharpe, drawdown = judge_claims(result)
    assert not sharpe.holds and "does NOT hold" in sharpe.text and "1.20x" in sharpe.text and "2 of 3" in sharpe.text
    assert not drawdown.holds and "16.7% lower" in drawdown.text


def test_a_non_positive_baseline_sharpe_gets_no_multiple():
    result = _result((0.4, 0.10), {"stop_loss": (-0.2, 0.20), "trailing": (0.0, 0.2), "take_profit": (-1.0, 0.3)})
    sharpe, _ = judge_claims(result)
    assert sharpe.holds and all(c.effect is None for c in sharpe.comparisons)
    assert "not positive, so no multiple" in sharpe.text
    result = _result((-0.4, 0.30), {"stop_loss": (-0.2, 0.20), "trailing": (0.2, 0.2), "take_profit": (-1.0, 0.3)})
    sharpe, drawdown = judge_claims(result)
    assert not sharpe.holds and "50.0% higher" in drawdown.text
