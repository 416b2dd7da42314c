"""Seeded synthetic market for tests and the paper exchange.

Several correlated assets, GARCH(1,1) volatility clustering with Student-t shocks (fat tails),
Markov-switching bull / bear / sideways drift phases, and OHLC bars that always satisfy
low <= min(open, close) <= max(open, close) <= high.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.market.ohlcv import NS_PER_DAY, OHLCV

# Daily drift per phase (bull, bear, sideways): roughly +110%, -60%, 0% a year.
PHASE_DRIFT = np.array([0.002, -0.0025, 0.0])
PHASE_STAY_PROB = 0.985  # mean phase length ~ 67 bars
STUDENT_T_DOF = 4.0  # fat tails


@dataclass(frozen=True)
class SyntheticSpec:
    names: tuple[str, ...] = ("BTC", "ETH", "SOL", "XRP")
    n_bars: int = 1000
    base_correlation: float = 0.6
    start_prices: tuple[float, ...] = (30000.0, 2000.0, 100.0, 0.6)
    bar_ns: int = NS_PER_DAY
    start_ns: int = 1_640_995_200 * 10**9  # 2022-01-01
    garch_omega: float = 2e-6
    garch_alpha: float = 0.08
    garch_beta: float = 0.9


def synthetic_returns(spec: SyntheticSpec, rng: np.random.Generator) -> np.ndarray:
    """(n_bars, n_assets) log returns with correlated fat-tailed GARCH shocks and drift phases."""
    k = len(spec.names)
    corr = np.full((k, k), spec.base_correlation)
    np.fill_diagonal(corr, 1.0)
    chol = np.linalg.cholesky(corr)
    t = rng.standard_t(STUDENT_T_DOF, size=(spec.n_bars, k)) / np.sqrt(STUDENT_T_DOF / (STUDENT_T_DOF - 2))
    shocks = t @ chol.T
    var = np.full(k, spec.garch_omega / max(1e-9, 1 - spec.garch_alpha - spec.garch_beta))
    phase = 2
    out = np.empty((spec.n_bars, k))
    for i in range(spec.n_bars):
        if rng.random() > PHASE_STAY_PROB:
            phase = int(rng.integers(0, 3))
        eps = np.sqrt(var) * shocks[i]
        out[i] = PHASE_DRIFT[phase] + eps
        var = spec.garch_omega + spec.garch_alpha * eps**2 + spec.garch_beta * var
    return out


def bars_from_returns(name: str, log_ret: np.ndarray, start_price: float, start_ns: int, bar_ns: int,
                      rng: np.random.Generator) -> OHLCV:
    """Consistent OHLC from close-to-close returns: small open gaps, wicks beyond the body."""
    n = log_ret.shape[0]
    close = start_price * np.exp(np.cumsum(log_ret))
    prev_close = np.concatenate(([start_price], close[:-1]))
    open_ = prev_close * np.exp(rng.normal(0.0, 0.001, n))
    body_hi = np.maximum(open_, close)
    body_lo = np.minimum(open_, close)
    scale = np.abs(log_ret) * 0.5 + 0.002
    high = body_hi * np.exp(np.abs(rng.normal(0.0, 1.0, n)) * scale)
    low = body_lo * np.exp(-np.abs(rng.normal(0.0, 1.0, n)) * scale)
    volume = np.abs(rng.normal(1.0, 0.3, n)) * 1e6 * (1 + 20 * np.abs(log_ret))
    time_ns = start_ns + np.arange(n, dtype=np.int64) * bar_ns
    return OHLCV(name, time_ns, open_, high, low, close, volume)


def generate_market(seed: int = 7, spec: SyntheticSpec | None = None) -> list[OHLCV]:
    """One OHLCV series per asset; the same seed always gives the same market."""
    spec = spec or SyntheticSpec()
    rng = np.random.default_rng(seed)
    rets = synthetic_returns(spec, rng)
    prices = list(spec.start_prices) + [100.0] * max(0, len(spec.names) - len(spec.start_prices))
    return [bars_from_returns(name, rets[:, j], prices[j], spec.start_ns, spec.bar_ns, rng)
            for j, name in enumerate(spec.names)]
