"""Fair comparison: every baseline runs under the evolved genome's portfolio rules AND, with the
evolved genome, at plain equal exposure without rules (SPEC section 10)."""
from __future__ import annotations

import numpy as np
import pytest

from core.backtest import baselines
from core.backtest import enums as E
from core.backtest.api import decode_matrix
from core.evolution.walkforward import resolve_split, split_datasets, time_axis
from core.market.loader import load_many
from core.report.walk_forward import FIXED_KINDS, apply_rules, compare

GENES = np.array([0.3, 0.2, 0.4, 0.1, 0.7, 0.5, 0.2, 0.6, 0.3, 0.5, 0.4, 0.6, 0.5, 0.1, 0.2, 0.05, 0.3,
                  0.2, 0.4, 0.6, 0.3, 0.2])


@pytest.fixture(scope="module")
def datasets(daily_dir):
    series = load_many([daily_dir / f"{a}.csv" for a in ("BTC", "ETH", "XRP", "LTC")])
    return split_datasets(series, resolve_split(time_axis(series)))


def test_same_rules_copies_exactly_the_evolved_portfolio_genes():
    evolved = decode_matrix(GENES)[0]
    row = apply_rules(baselines.fixed_stop_params("trailing", 0.1)[None, :], "same_rules", evolved)[0]
    for col in (E.CONC_LIMIT, E.CORR_LIMIT, E.MAX_DD):
        assert row[col] == evolved[col]
    assert row[E.TRAIL_PCT] == 0.1 and row[E.W_TRAIL] == 1.0  # the exit rule is untouched


def test_equal_exposure_strips_every_portfolio_rule_from_the_evolved_genome_too():
    evolved = decode_matrix(GENES)[0]
    row = apply_rules(evolved[None, :], "equal_exposure", evolved)[0]
    assert row[E.CONC_LIMIT] == 1.0 and row[E.CORR_LIMIT] > 1.0 and row[E.MAX_DD] > 1e6
    assert row[E.SL_PCT] == evolved[E.SL_PCT]


def test_the_two_comparisons_run_different_baselines(datasets):
    train, test = datasets
    same = compare(train, test, GENES, random_genomes=10, rules="same_rules")
    equal = compare(train, test, GENES, random_genomes=10, rules="equal_exposure")
    evolved = decode_matrix(GENES)[0]
    assert np.array_equal(same.strategies["evolved"].params, evolved)
    for kind in FIXED_KINDS:
        assert same.strategies[kind].params[E.CONC_LIMIT] == evolved[E.CONC_LIMIT]
        assert equal.strategies[kind].params[E.CONC_LIMIT] == 1.0
    # a 5% position cap (gene 15 = 0.05 -> 5.75%) makes every same-rules drawdown far smaller
    for key in ("stop_loss", "trailing", "take_profit", "hold_entries"):
        assert same.strategies[key].overall["max_drawdown"] < equal.strategies[key].overall["max_drawdown"]
    assert same.rules == "same_rules" and equal.rules == "equal_exposure" and same.block == 4
