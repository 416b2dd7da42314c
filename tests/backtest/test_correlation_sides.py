"""Correlation risk counts side (SPEC section 4): one signed weighted-correlation function in the
policy serves the kernel's entry gate, the live monitor and `evorisk size`; a short against a
correlated long is a hedge and lowers the figure."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import policy
from core.backtest import enums as E
from core.backtest.api import window_detail
from core.backtest.baselines import neutral_params
from core.backtest.dataset import BacktestConfig, build_dataset
from core.exchange.models import AccountState, Position
from core.genome import decode, default_genes
from core.monitor.sizing import size_new_position
from tests.support.kernel_inputs import make_series

PARAMS = dataclasses.replace(decode(default_genes()), concentration_limit=0.10, correlation_limit=0.50)
BTC_PX, ETH_PX = 50_000.0, 2_500.0


def position(coin: str, units: float, px: float) -> Position:
    return Position(coin=coin, size=units, entry_px=px, mark_px=px, unrealized_pnl_usd=0.0,
                    position_value_usd=abs(units) * px, margin_used_usd=abs(units) * px / 10, leverage=10.0,
                    liquidation_px=None)


def account(*positions: Position) -> AccountState:
    return AccountState(equity_usd=100_000.0, margin_used_usd=0.0, withdrawable_usd=100_000.0,
                        positions=tuple(positions), time_ms=1_700_000_000_000)


def size(acct: AccountState, requested: float, side: str, correlation: float):
    matrix = np.array([[1.0, correlation], [correlation, 1.0]])
    return size_new_position(PARAMS, acct, "BTC", side, requested, BTC_PX, policy.NORMAL, ("BTC", "ETH"), matrix)


def _flat(matrix):
    return [float(x) for x in np.asarray(matrix).ravel()]


def test_two_correlated_longs_count_their_full_correlation():
    assert policy.weighted_correlation(2, [10_000.0, 5_000.0], _flat([[1, 0.8], [0.8, 1]])) == pytest.approx(0.8)


def test_a_short_against_a_correlated_long_is_a_hedge():
    hedge = policy.weighted_correlation(2, [10_000.0, -5_000.0], _flat([[1, 0.8], [0.8, 1]]))
    assert hedge == pytest.approx(-0.8)
    two_shorts = policy.weighted_correlation(2, [-10_000.0, -5_000.0], _flat([[1, 0.8], [0.8, 1]]))
    assert two_shorts == pytest.approx(0.8)  # two correlated shorts are as risky as two longs


def test_three_coins_weigh_each_pair_by_its_signed_notionals():
    corr = [[1.0, 0.9, 0.5], [0.9, 1.0, 0.3], [0.5, 0.3, 1.0]]
    w = [2.0, -1.0, 1.0]  # long A, short B, long C
    pairs = [(2 * -1, 0.9), (2 * 1, 0.5), (-1 * 1, 0.3)]
    expected = sum(p * c for p, c in pairs) / sum(abs(p) for p, _ in pairs)
    assert policy.weighted_correlation(3, w, _flat(corr)) == pytest.approx(expected)
    assert expected < policy.weighted_correlation(3, [2.0, 1.0, 1.0], _flat(corr))


def _pair_dataset():
    rng = np.random.default_rng(4)
    base = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 120)))
    cfg = BacktestConfig(window_bars=50, window_step_bars=1000, fee_pct=0.0, slippage_pct=0.0, sides="both")
    ds = build_dataset([make_series("A", base), make_series("B", base * 1.5)], cfg)  # perfectly correlated
    return dataclasses.replace(ds, window_starts=np.array([60]), participation=np.ones((1, 2), bool))


def _entries(ds, b_long: bool):
    el, es = np.zeros_like(ds.entry_long), np.zeros_like(ds.entry_short)
    el[0, 70] = True  # A long first
    (el if b_long else es)[1, 75] = True
    return dataclasses.replace(ds, entry_long=el, entry_short=es)


def test_the_kernel_gate_blocks_a_correlated_long_but_lets_a_hedging_short_in():
    ds = _pair_dataset()
    row = neutral_params(corr_limit=0.4, conc_limit=0.5, w_sl=0.0, w_trail=0.0, w_tp=0.0)
    same_side = window_detail(_entries(ds, b_long=True), row, 0).trades
    hedge = window_detail(_entries(ds, b_long=False), row, 0).trades
    assert set(same_side["asset"].astype(int)) == {0}
    assert set(hedge["asset"].astype(int)) == {0, 1}
    assert hedge["side"][hedge["asset"] == 1][0] == -1.0


def test_evorisk_size_lets_a_short_hedge_a_correlated_long():
    book = account(position("ETH", 4.0, ETH_PX))
    blocked = size(book, 0.1, side="long", correlation=0.9)
    hedge = size(book, 0.1, side="short", correlation=0.9)
    assert blocked.allowed_size == 0.0 and blocked.weighted_correlation == pytest.approx(0.9)
    assert hedge.allowed_size == pytest.approx(0.1) and hedge.weighted_correlation == pytest.approx(-0.9)
    short_book = account(position("ETH", -4.0, ETH_PX))
    assert size(short_book, 0.1, side="short", correlation=0.9).allowed_size == 0.0
