"""The deflated Sharpe ratio, CSCV's probability of backtest overfitting and the block-bootstrap
intervals, checked against published numbers and constructed cases whose answer is known."""
from __future__ import annotations

import math

import numpy as np
import pytest

from core.report.intervals import block_length, drawdown_cut, paired_intervals, sharpe_multiple
from core.report.overfitting import cscv_pbo, expected_max_sharpe, probabilistic_sharpe


def test_deflated_sharpe_reproduces_the_papers_numeric_example():
    """Bailey & Lopez de Prado, "The Deflated Sharpe Ratio" (J. Portfolio Management 40(5), 2014),
    section "A numerical example": N = 100 trials with annualised Sharpe variance 1/2, a selected
    strategy with annualised SR 2.5 over T = 1250 daily returns, skew -3, kurtosis 10. The paper
    gives SR_0 = 0.1132 per day and DSR = 0.9004 (250 trading days a year)."""
    days = 250
    sr0 = expected_max_sharpe(0.5 / days, 100)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    dsr = probabilistic_sharpe(2.5 / math.sqrt(days), sr0, 1250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-4)


def test_more_trials_raise_the_bar_and_lower_the_deflated_sharpe():
    sr = 0.08
    values = [probabilistic_sharpe(sr, expected_max_sharpe(0.001, n), 1000, 0.0, 3.0) for n in (2, 10, 100, 10_000)]
    assert values == sorted(values, reverse=True) and values[0] > 0.9 > values[-1]


def test_pbo_of_pure_noise_candidates_is_near_one_half():
    """Bailey, Borwein, Lopez de Prado & Zhu, "The Probability of Backtest Overfitting" (2015):
    when no candidate has skill, the in-sample best is a random draw out of sample, so PBO -> 1/2."""
    rng = np.random.default_rng(7)
    values = [cscv_pbo(rng.normal(size=(64, 50)), partitions=10).pbo for _ in range(20)]
    assert abs(np.mean(values) - 0.5) < 0.08


def test_pbo_with_one_dominant_true_skill_candidate_is_near_zero():
    """Same paper: a candidate whose mean beats the others on every subsample is chosen in sample
    and stays on top out of sample, so the in-sample best never lands in the bottom half: PBO ~ 0."""
    rng = np.random.default_rng(8)
    perf = rng.normal(size=(64, 50))
    perf[:, 17] += 1.5
    result = cscv_pbo(perf, partitions=16)
    assert result.pbo < 0.01 and result.splits == 12870 and np.median(result.logits) > 2


def test_pbo_refuses_an_odd_partition_count():
    with pytest.raises(ValueError, match="even number of partitions"):
        cscv_pbo(np.zeros((10, 3)), partitions=3)


def test_bootstrap_intervals_are_deterministic_and_cover_the_estimate():
    rng = np.random.default_rng(1)
    a, b = rng.normal(1.0, 0.5, 12), rng.normal(0.5, 0.5, 12)
    first = paired_intervals(sharpe_multiple, a, b, block=4)
    assert first == paired_intervals(sharpe_multiple, a, b, block=4)
    for iv in first:
        assert iv.ci_low <= iv.value <= iv.ci_high
    assert first[2].value == pytest.approx(a.mean() / b.mean())


def test_a_ratio_over_a_non_positive_baseline_has_no_interval():
    a, b = np.full(10, 0.2), np.full(10, -0.1)
    iv = paired_intervals(sharpe_multiple, a, b, block=3)[2]
    assert math.isnan(iv.value) and iv.to_dict()["ci_low"] is None
    assert drawdown_cut(np.array([0.1]), np.array([0.2]))[2] == pytest.approx(0.5)


def test_block_length_counts_the_windows_that_share_bars():
    assert block_length(180, 45) == 4 and block_length(4320, 1080) == 4 and block_length(100, 100) == 1
