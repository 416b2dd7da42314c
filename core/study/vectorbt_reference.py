"""The same backtests run through vectorbt 1.2 `Portfolio.from_signals`: the study's oracle.

Used by the tests (a sample of the study must match to 1e-9) and by the benchmark (the whole
study, columnar). Never on the study's hot path: vectorbt builds pandas objects per call.

Each column is one backtest: its window's bars stacked as rows, an entry signal on row 0, an
exit signal on the last row (and on the random bar for the Random kind), and the stop as
vectorbt's own `sl_stop` / `sl_trail` / `tp_stop`. `stop_exit_price="stopmarket"` makes
vectorbt charge slippage on stop fills as on every other order (its default "stoplimit"
would fill stops without slippage).
"""
from __future__ import annotations

import numpy as np

from core.study.enums import ExitKind


def _window_matrix(prices: np.ndarray, asset_index: np.ndarray, starts: np.ndarray, window_bars: int) -> np.ndarray:
    """(window_bars, n_columns): column j holds prices[asset_index[j], starts[j]:starts[j]+window_bars]."""
    rows = starts[None, :] + np.arange(window_bars)[:, None]
    return np.ascontiguousarray(prices[asset_index[None, :], rows])


def vectorbt_backtests(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray,
                       asset_index: np.ndarray, starts: np.ndarray, window_bars: int, kinds: np.ndarray,
                       stops: np.ndarray, random_bars: np.ndarray, fee_rate: float,
                       slippage_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Total return and exit offset of each column's backtest, computed by vectorbt.

    Args:
        open_, high, low, close: prices, shape (n_assets, n_bars).
        asset_index, starts, kinds, stops, random_bars: one entry per backtest (column):
            row of the asset, first bar of the window, ExitKind value, stop fraction,
            Random-kind exit offset in bars.
        window_bars: bars per window.
        fee_rate, slippage_rate: per side, fractions.
    """
    import vectorbt as vbt

    asset_index = np.asarray(asset_index, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    kinds = np.asarray(kinds)
    stops = np.asarray(stops, dtype=np.float64)
    n_cols = kinds.shape[0]
    entries = np.zeros((window_bars, n_cols), dtype=bool)
    entries[0] = True
    exits = np.zeros((window_bars, n_cols), dtype=bool)
    exits[-1] = True
    is_random = kinds == ExitKind.Random
    exits[np.asarray(random_bars)[is_random], np.flatnonzero(is_random)] = True
    uses_sl = (kinds == ExitKind.StopLoss) | (kinds == ExitKind.TrailingStop)
    pf = vbt.Portfolio.from_signals(
        _window_matrix(close, asset_index, starts, window_bars),
        entries, exits,
        open=_window_matrix(open_, asset_index, starts, window_bars),
        high=_window_matrix(high, asset_index, starts, window_bars),
        low=_window_matrix(low, asset_index, starts, window_bars),
        sl_stop=np.where(uses_sl, stops, np.nan)[None, :],
        sl_trail=(kinds == ExitKind.TrailingStop)[None, :],
        tp_stop=np.where(kinds == ExitKind.TakeProfit, stops, np.nan)[None, :],
        stop_entry_price="close", stop_exit_price="stopmarket",
        direction="longonly", init_cash=1.0, fees=fee_rate, slippage=slippage_rate,
    )
    total_returns = np.asarray(pf.total_return(), dtype=np.float64).reshape(n_cols)
    orders = pf.orders.values
    exit_offsets = np.full(n_cols, -1, dtype=np.int64)
    sells = orders[orders["side"] == 1]
    exit_offsets[sells["col"]] = sells["idx"]
    return total_returns, exit_offsets
