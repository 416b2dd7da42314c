"""The report's baseline numbers recomputed independently: the equal-weight basket with vectorbt's
Portfolio.from_orders, and "hold each entry to the window end" with a plain numpy loop over the
dataset's own entries, both on the real test windows of a default walk-forward split."""
from __future__ import annotations

import numpy as np
import pytest

from core.backtest import baselines
from core.backtest.api import run_kernel
from core.backtest.enums import METRIC_NAMES, PF_CAP
from core.evolution.walkforward import resolve_split, split_datasets, time_axis
from core.market.loader import load_many

ASSETS = ("BTC", "ETH", "XRP")
TOL = 1e-9


@pytest.fixture(scope="module")
def test_windows(daily_dir):
    series = load_many([daily_dir / f"{a}.csv" for a in ASSETS])
    return split_datasets(series, resolve_split(time_axis(series)))[1]


def _metrics(equity: np.ndarray, cash: float, pnl: np.ndarray, ppy: float) -> dict[str, float]:
    """The SPEC's window metrics, written out again from their definitions."""
    path = np.concatenate(([cash], equity))
    returns = path[1:] / path[:-1] - 1.0
    sharpe = returns.mean() / returns.std(ddof=1) * np.sqrt(ppy)
    drawdown = 1.0 - path / np.maximum.accumulate(path)
    wins, losses = pnl[pnl > 0].sum(), -pnl[pnl <= 0].sum()
    return {"total_return": equity[-1] / cash - 1.0, "sharpe": sharpe, "max_drawdown": drawdown.max(),
            "win_rate": float((pnl > 0).mean()), "profit_factor": min(wins / losses, PF_CAP) if losses > 0 else PF_CAP,
            "trades": float(pnl.shape[0])}


def test_basket_baseline_matches_vectorbt_from_orders(test_windows):
    import pandas as pd
    import vectorbt as vbt
    from vectorbt.portfolio.enums import SizeType

    ds, c = test_windows, test_windows.config
    for w in range(ds.n_windows):
        w0, n = int(ds.window_starts[w]), c.window_bars
        assets = np.flatnonzero(ds.participation[w])
        close = ds.close[assets, w0:w0 + n].T
        price = np.full_like(close, np.nan)
        size = np.full_like(close, np.nan)
        price[0], price[-1] = ds.open[assets, w0], close[-1]
        budget = c.initial_cash_usd / assets.shape[0]
        size[0] = budget / (price[0] * (1 + c.slippage_pct) * (1 + c.fee_pct))
        size[-1] = -np.inf  # sell everything at the last close
        pf = vbt.Portfolio.from_orders(pd.DataFrame(close), size=pd.DataFrame(size), price=pd.DataFrame(price),
                                       size_type=SizeType.Amount, direction="longonly", fees=c.fee_pct, slippage=c.slippage_pct,
                                       init_cash=c.initial_cash_usd, cash_sharing=True, group_by=True, freq="1D")
        value = pf.value().to_numpy()
        units_held = pf.assets().to_numpy()[-2]
        marked = np.concatenate((value[:-1], [(units_held * close[-1]).sum()]))  # the kernel marks the last close
        pnl = pf.trades.pnl.values
        want = _metrics(marked, c.initial_cash_usd, pnl, ds.periods_per_year)
        got = baselines.basket_window(ds.open, ds.close, ds.participation[w], w0, n, c.fee_pct, c.slippage_pct,
                                      c.initial_cash_usd, ds.periods_per_year)
        np.testing.assert_allclose(got.equity_usd, marked, rtol=TOL)
        for name in ("total_return", "sharpe", "max_drawdown", "win_rate", "profit_factor"):
            assert getattr(got, name) == pytest.approx(want[name], rel=TOL, abs=TOL), (w, name)


def _hold_entries_by_hand(ds, w: int) -> dict[str, float]:
    """Each participating asset enters at the open after its first momentum signal (equal weight of
    the previous close's equity, capped by the cash left) and is held to the last close."""
    c = ds.config
    w0, n = int(ds.window_starts[w]), c.window_bars
    assets = np.flatnonzero(ds.participation[w])
    cash, prev_equity = c.initial_cash_usd, c.initial_cash_usd
    units, cost = {}, {}
    equity = np.empty(n)
    for i in range(n):
        t = w0 + i
        for a in assets:
            if a not in units and ds.entry_long[a, t - 1]:
                px = ds.open[a, t] * (1 + c.slippage_pct)
                u = min(prev_equity / assets.shape[0] / px, cash / (px * (1 + c.fee_pct)))
                if u > 0:
                    units[a], cost[a] = u, u * px * (1 + c.fee_pct)
                    cash -= cost[a]
        equity[i] = cash + sum(u * ds.close[a, t] for a, u in units.items())
        prev_equity = equity[i]
    last = w0 + n - 1
    pnl = np.array([u * ds.close[a, last] * (1 - c.slippage_pct) * (1 - c.fee_pct) - cost[a] for a, u in units.items()])
    if pnl.shape[0] == 0:
        return {"total_return": 0.0, "sharpe": 0.0, "max_drawdown": 0.0, "win_rate": 0.0, "profit_factor": 0.0,
                "trades": 0.0}
    return _metrics(equity, c.initial_cash_usd, pnl, ds.periods_per_year)


def test_hold_each_entry_baseline_matches_a_plain_numpy_loop(test_windows):
    _, metrics = run_kernel(test_windows, baselines.hold_params()[None, :])
    assert test_windows.n_windows >= 5
    for w in range(test_windows.n_windows):
        want = _hold_entries_by_hand(test_windows, w)
        for name, value in want.items():
            assert metrics[0, w, METRIC_NAMES.index(name)] == pytest.approx(value, rel=TOL, abs=TOL), (w, name)
