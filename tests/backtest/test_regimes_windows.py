"""Window builder and both regime classifiers on hand-made series."""
from __future__ import annotations

import numpy as np
import pytest

from core.market.synthetic import SyntheticSpec, generate_market
from core.market.windows import window_count, window_starts
from core.regimes import decision_regime, window_regime


def path(trend: float, daily_vol: float, n: int = 180, seed: int = 0) -> np.ndarray:
    """A close series with exactly the given total trend and roughly the given daily vol."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, daily_vol, n - 1)
    noise -= noise.mean()
    log_ret = noise + np.log1p(trend) / (n - 1)
    return 100 * np.exp(np.concatenate(([0.0], np.cumsum(log_ret))))


@pytest.mark.parametrize("trend,vol,expected", [
    (0.5, 0.05, "bull_volatile"),
    (-0.5, 0.05, "bear_volatile"),
    (0.1, 0.05, "sideways_volatile"),   # +10% is not enough in a volatile market
    (0.15, 0.01, "bull_stable"),        # but +15% is bull when stable
    (-0.15, 0.01, "bear_stable"),
    (0.05, 0.01, "sideways_stable"),
])
def test_window_regime_classification(trend, vol, expected):
    assert window_regime(path(trend, vol)) == expected


def test_volatility_threshold_uses_sqrt_365():
    # daily vol 0.03 -> 0.57 annual (stable); 0.033 -> 0.63 (volatile)
    assert window_regime(path(0.0, 0.030)).endswith("stable")
    assert window_regime(path(0.0, 0.033)).endswith("volatile")


def test_decision_regime_ignores_future_bars():
    closes = np.concatenate((path(0.5, 0.05, 200), path(-0.6, 0.05, 200)[1:] * 1.5))
    t = 199
    before = decision_regime(closes, t)
    altered = closes.copy()
    altered[t + 1:] *= 0.1
    assert decision_regime(altered, t) == before == "bull_volatile"


def test_decision_regime_uses_trailing_180_bars():
    rising = path(0.5, 0.01, 300)
    flat_tail = np.concatenate((rising, np.full(180, rising[-1])))
    assert decision_regime(flat_tail, len(flat_tail) - 1) == "sideways_stable"


@pytest.mark.parametrize("n,expected", [(179, 0), (180, 1), (224, 1), (225, 2), (1558, 31), (2707, 57)])
def test_window_counts(n, expected):
    assert window_count(n) == expected
    starts = window_starts(n)
    assert np.all(starts + 180 <= n) and np.all(np.diff(starts) == 45)


def test_synthetic_market_is_seeded_consistent_and_correlated():
    a = generate_market(3, SyntheticSpec(n_bars=800))
    b = generate_market(3, SyntheticSpec(n_bars=800))
    c = generate_market(4, SyntheticSpec(n_bars=800))
    assert all(np.array_equal(x.close, y.close) for x, y in zip(a, b))
    assert not np.array_equal(a[0].close, c[0].close)
    for s in a:
        assert np.all(s.high >= np.maximum(s.open, s.close)) and np.all(s.low <= np.minimum(s.open, s.close))
        assert np.all(s.low > 0)
    rets = np.array([np.diff(np.log(s.close)) for s in a])
    corr = np.corrcoef(rets)
    assert corr[np.triu_indices(len(a), 1)].min() > 0.3
    r = rets[0]
    kurtosis = ((r - r.mean()) ** 4).mean() / r.var() ** 2
    assert kurtosis > 3.5, "fat tails expected"
    # volatility clustering: |returns| are autocorrelated
    ar = np.abs(r - r.mean())
    assert np.corrcoef(ar[:-1], ar[1:])[0, 1] > 0.05


def test_synthetic_market_has_several_regimes():
    series = generate_market(11, SyntheticSpec(n_bars=3000))
    regimes = {window_regime(s.close[i:i + 180]) for s in series for i in window_starts(len(s))}
    assert len(regimes) >= 4
