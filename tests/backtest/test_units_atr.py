"""Gene 1's ATR means the same on every bar interval (SPEC section 2, issue 15 units): on hourly
data the kernel is given the ATR of completed UTC days, the one the monitor reads from its daily
candles, so an hourly-evolved stop_atr_mult puts the stop at the same distance live."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import policy
from core.backtest import indicators_nb as ind
from core.backtest.dataset import BacktestConfig, build_dataset
from core.market.ohlcv import NS_PER_DAY, OHLCV
from core.monitor.indicators import coin_indicators, completed_daily

NS_PER_HOUR = NS_PER_DAY // 24
START_NS = 1_704_067_200 * 10**9 + 5 * NS_PER_HOUR  # 2024-01-01 05:00 UTC: the first day is partial
LOOKBACK_DAYS = 10


def hourly_market(days: int = 70, seed: int = 3) -> OHLCV:
    """A random hourly path with wicks and the odd gap, starting mid-day."""
    rng = np.random.default_rng(seed)
    n = days * 24 - 5
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.008, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.001, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.006, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.006, n))
    t = START_NS + np.arange(n, dtype=np.int64) * NS_PER_HOUR
    return OHLCV("A", t, open_, high, low, close, np.ones(n))


def daily_from_hourly(h: OHLCV) -> OHLCV:
    """The UTC-day candles an exchange would publish for these hours (pandas resample)."""
    frame = pd.DataFrame({"open": h.open, "high": h.high, "low": h.low, "close": h.close},
                         index=pd.to_datetime(h.time_ns, utc=True))
    d = frame.resample("1D").agg({"open": "first", "high": "max", "low": "min", "close": "last"}).dropna()
    return OHLCV("A", d.index.as_unit("ns").asi8.astype(np.int64), d["open"].to_numpy(), d["high"].to_numpy(),
                 d["low"].to_numpy(), d["close"].to_numpy(), np.ones(len(d)))


@pytest.fixture(scope="module")
def markets():
    h = hourly_market()
    d = daily_from_hourly(h)
    ds_h = build_dataset([h], BacktestConfig(window_bars=24 * 20, window_step_bars=24 * 20))
    ds_d = build_dataset([d], BacktestConfig(window_bars=20, window_step_bars=20))
    return h, d, ds_h, ds_d


def test_at_each_day_close_the_hourly_atr_is_the_daily_atr(markets):
    h, d, ds_h, ds_d = markets
    k = LOOKBACK_DAYS - 10  # slot 0 = 10 days
    day_close = np.flatnonzero((h.time_ns + NS_PER_HOUR) % NS_PER_DAY == 0)
    day_of = (h.time_ns[day_close] // NS_PER_DAY - d.time_ns[0] // NS_PER_DAY).astype(int)
    hourly, daily = ds_h.atr[k, 0, day_close], ds_d.atr[k, 0, day_of]
    assert np.isfinite(daily).sum() > 40
    np.testing.assert_allclose(hourly, daily, rtol=1e-12, equal_nan=True)


def test_hours_inside_a_day_carry_the_last_completed_days_atr(markets):
    h, d, ds_h, ds_d = markets
    k = 0
    day_index = (h.time_ns // NS_PER_DAY - d.time_ns[0] // NS_PER_DAY).astype(int)
    hour = (h.time_ns % NS_PER_DAY) // NS_PER_HOUR
    inside = np.flatnonzero((hour < 23) & (day_index >= 1))
    np.testing.assert_allclose(ds_h.atr[k, 0, inside], ds_d.atr[k, 0, day_index[inside] - 1], rtol=1e-12,
                               equal_nan=True)


def test_an_atr_of_the_hourly_bars_would_have_meant_a_stop_several_times_closer(markets):
    """The gap this closes: the mean true range of hourly bars over the same 10 days is a small
    fraction of the daily one, so the same gene would have sat that much closer to the price."""
    h, _, ds_h, _ = markets
    t = ds_h.atr.shape[2] - 1
    per_bar = ind.atr_pct_nb(h.high, h.low, h.close, 24 * LOOKBACK_DAYS)[t]
    assert ds_h.atr[0, 0, t] > 3 * per_bar


def test_the_same_genome_gets_the_same_atr_stop_distance_on_hourly_and_daily_and_live(markets):
    """policy.stop_distances with the kernel's hourly input, its daily input and the monitor's
    indicators from hourly candles all give one stop distance at the close of a day."""
    h, d, ds_h, ds_d = markets
    t_h = int(np.flatnonzero((h.time_ns + NS_PER_HOUR) % NS_PER_DAY == 0)[-1])
    t_d = d.time_ns.shape[0] - 1
    ms = h.time_ns[: t_h + 1] // 1_000_000
    day = completed_daily(ms, h.high[: t_h + 1], h.low[: t_h + 1], h.close[: t_h + 1], 3_600_000)
    live = coin_indicators(day.high, day.low, day.close, LOOKBACK_DAYS)

    def atr_stop(atr_pct: float) -> float:  # gene 1 alone decides: stop_loss_pct 0, no other adjustments
        genes = policy.StopParams(0.0, 1.0, 0.05, 0.1, 0.0, 9.0, 60.0, 1.0, 0.0, 1.0, 0.0)
        return policy.stop_distances(genes, policy.StopContext(1.0, 1.0, 1.0, 1.0, atr_pct, 1.0, False, False))[0]

    assert atr_stop(ds_h.atr[0, 0, t_h]) == pytest.approx(atr_stop(ds_d.atr[0, 0, t_d]), rel=1e-12)
    assert atr_stop(live.atr_pct) == pytest.approx(atr_stop(ds_d.atr[0, 0, t_d]), rel=1e-12)
    assert atr_stop(live.atr_pct) == pytest.approx(ds_d.atr[0, 0, t_d], rel=1e-9)


def test_the_monitor_leaves_out_a_day_whose_last_candle_has_not_closed(markets):
    h, d, _, _ = markets
    cut = int(np.flatnonzero((h.time_ns + NS_PER_HOUR) % NS_PER_DAY == 0)[-1]) - 3  # 3 hours short of a close
    ms = h.time_ns[: cut + 1] // 1_000_000
    day = completed_daily(ms, h.high[: cut + 1], h.low[: cut + 1], h.close[: cut + 1], 3_600_000)
    last_full = int(h.time_ns[cut] // NS_PER_DAY) - 1
    assert day.open_ms == last_full * (NS_PER_DAY // 1_000_000)
    np.testing.assert_allclose(day.close[1:], d.close[1:day.close.shape[0]])  # day 0 is partial in both


def test_daily_data_keeps_the_plain_atr_of_its_bars(markets):
    _, d, _, ds_d = markets
    np.testing.assert_allclose(ds_d.atr[5, 0], ind.atr_pct_nb(d.high, d.low, d.close, 15), rtol=0, equal_nan=True)
    daily = completed_daily(d.time_ns // 1_000_000, d.high, d.low, d.close, 86_400_000)
    assert daily.close.shape == d.close.shape and daily.open_ms == d.time_ns[-1] // 1_000_000


def test_momentum_and_regime_are_read_from_completed_days_too(markets):
    """Genes 16 and 18 read the 20-day return and the 180-day decision regime on daily candles
    live; the hourly kernel is given the same values, carried through the next day's hours."""
    h, d, ds_h, ds_d = markets
    day_index = (h.time_ns // NS_PER_DAY - d.time_ns[0] // NS_PER_DAY).astype(int)
    ends = (h.time_ns + NS_PER_HOUR) % NS_PER_DAY == 0
    seen = np.where(ends, day_index, day_index - 1)
    ok = seen >= 0
    np.testing.assert_allclose(ds_h.momentum[0, ok], ds_d.momentum[0, seen[ok]], rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(ds_h.regime[0, ok], ds_d.regime[0, seen[ok]])
    assert np.isfinite(ds_d.momentum[0]).sum() > 40 and len(set(ds_d.regime[0].tolist())) > 1
    t = int(np.flatnonzero(ends)[-1])
    day = completed_daily(h.time_ns[: t + 1] // 1_000_000, h.high[: t + 1], h.low[: t + 1], h.close[: t + 1],
                          3_600_000)
    live = coin_indicators(day.high, day.low, day.close, LOOKBACK_DAYS)
    assert live.momentum == pytest.approx(ds_h.momentum[0, t], rel=1e-12) and live.regime == ds_h.regime[0, t]
