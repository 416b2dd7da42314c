"""Venue-tick execution (issue 14): the kernel's compiled tick rule is the paper exchange's rule.

The kernel compiles core.exchange.ticks.round_price itself (no second copy); these tests check the
compiled function gives the same price as the Python one the paper exchange runs, over a dense grid
of prices across every magnitude, every szDecimals and both directions.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.backtest.books_nb import round_price_nb
from core.exchange.ticks import round_price


@pytest.mark.parametrize("sz_decimals", range(6))
@pytest.mark.parametrize("direction", [-1, 1])  # fills only; numba's round() (direction 0) differs from Python's
def test_compiled_tick_rule_equals_the_paper_exchanges(sz_decimals, direction):
    rng = np.random.default_rng(sz_decimals * 3 + direction + 1)
    prices = np.concatenate([10.0 ** rng.uniform(-5, 6, 4000),  # every magnitude
                             np.round(10.0 ** rng.uniform(-2, 5, 1000), 4),  # prices already near a tick
                             [1e-4, 0.1, 1.0, 9.99995, 10.0, 12345.5, 99999.5, 100000.0]])
    for px in prices:
        assert round_price_nb(float(px), sz_decimals, direction) == round_price(float(px), sz_decimals, direction), px


def test_buys_round_up_and_sells_down_onto_the_tick():
    assert round_price_nb(1.234567, 0, 1) == 1.2346
    assert round_price_nb(1.234567, 0, -1) == 1.2345
    assert round_price_nb(0.0123456, 2, 1) == 0.0124  # at most 6 - szDecimals decimals


def test_round_price_keeps_the_decimals_price_decimals_allows():
    from core.exchange.ticks import price_decimals
    for px in 10.0 ** np.random.default_rng(7).uniform(-5, 6, 2000):
        for sz in range(6):
            d = price_decimals(float(px), sz)
            assert round(round_price(float(px), sz, 1), d) == round_price(float(px), sz, 1)
