"""The kernel's entry list (core/backtest/signals_nb.py) holds exactly the entries the phases used
to find by scanning every asset at every bar: per window and bar, the participating assets that
signalled at the previous close, in asset order, a long winning a tie, shorts only when allowed."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.backtest.api import BacktestConfig, build_dataset, window_signals
from tests.support.kernel_inputs import make_series


def scanned_entries(ds, allow_short: bool) -> list[list[list[tuple[int, float]]]]:
    """The reference: every window, every bar, every asset checked in turn."""
    out = []
    for w, w0 in enumerate(ds.window_starts):
        bars = []
        for i in range(ds.config.window_bars):
            t = int(w0) + i
            found = []
            for a in range(len(ds.names)):
                if t < 1 or not ds.participation[w, a]:
                    continue
                if ds.entry_long[a, t - 1]:
                    found.append((a, 1.0))
                elif allow_short and ds.entry_short[a, t - 1]:
                    found.append((a, -1.0))
            bars.append(found)
        out.append(bars)
    return out


def listed_entries(ds) -> list[list[list[tuple[int, float]]]]:
    s = window_signals(ds)
    return [[[(int(s.asset[k]), float(s.direction[k])) for k in range(s.offsets[w, i], s.offsets[w, i + 1])]
             for i in range(ds.config.window_bars)] for w in range(ds.n_windows)]


@pytest.mark.parametrize("sides", ["long", "both"])
def test_entry_list_matches_a_scan_of_every_asset(sides):
    rng = np.random.default_rng(7)
    n = 120
    late = np.full(n, np.nan)
    late[50:] = 100.0 * np.cumprod(1 + rng.normal(0, 0.02, n - 50))  # joins after the first windows
    series = [make_series(name, 100.0 * np.cumprod(1 + rng.normal(0, 0.02, n))) for name in ("AAA", "BBB")]
    late_series = make_series("CCC", late[50:])
    late_series = dataclasses.replace(late_series, time_ns=series[0].time_ns[50:])
    ds = build_dataset(series + [late_series], BacktestConfig(window_bars=20, window_step_bars=10, sides=sides))
    ds = dataclasses.replace(ds, entry_long=rng.random(ds.entry_long.shape) < 0.3,
                             entry_short=rng.random(ds.entry_short.shape) < 0.3)
    assert not ds.participation.all() and ds.participation.any(axis=0).all()  # the late asset sits some out
    expected = scanned_entries(ds, allow_short=sides == "both")
    assert listed_entries(ds) == expected
    assert any(d < 0 for w in expected for bar in w for _, d in bar) == (sides == "both")
