"""Block-bootstrap confidence intervals over test windows (SPEC section 10).

Test windows overlap (180-day windows every 45 days share 135 days with their neighbour), so
resampling single windows would treat four nearly-equal numbers as four independent ones and
give intervals far too narrow. The stationary bootstrap of Politis & Romano (1994), from the
maintained `arch` package, resamples runs of neighbouring windows with a mean block length of
window / step windows (4 by default), which keeps that dependence. Paired: the evolved genome and
its baseline are resampled with the same window indices, so an interval on a ratio or a cut
reflects how the two move together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

BOOTSTRAP_REPS = 2000  # percentile intervals need ~1000+ resamples for stable 2.5/97.5% tails
BOOTSTRAP_SEED = 0  # the report is deterministic: same run, same intervals
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    value: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float | None]:
        return {"value": _clean(self.value), "ci_low": _clean(self.ci_low), "ci_high": _clean(self.ci_high)}


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def block_length(window_bars: int, step_bars: int) -> int:
    """Mean block length in windows: how many consecutive windows share bars."""
    return max(1, int(math.ceil(window_bars / max(step_bars, 1))))


def paired_intervals(statistic: Callable[..., np.ndarray], *columns: np.ndarray, block: int,
                     reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED) -> list[Interval]:
    """Percentile intervals of each output of `statistic(*columns)` under the stationary bootstrap.

    `columns` are arrays of equal length (one value per test window). A resample whose statistic
    is undefined (NaN, e.g. a ratio over a non-positive Sharpe) is left out of the percentiles;
    when more than half are undefined, the interval is reported as undefined (None in JSON).
    """
    from arch.bootstrap import StationaryBootstrap

    point = np.asarray(statistic(*columns), dtype=np.float64)
    n = int(columns[0].shape[0])
    if n < 2:
        return [Interval(float(v), math.nan, math.nan) for v in point]
    bs = StationaryBootstrap(min(block, n), *columns, seed=np.random.default_rng(seed))
    draws = np.asarray(bs.apply(lambda *c: np.asarray(statistic(*c), dtype=np.float64), reps), dtype=np.float64)
    tail = (1.0 - CONFIDENCE) / 2.0 * 100.0
    out = []
    for j, v in enumerate(point):
        col = draws[:, j]
        ok = col[np.isfinite(col)]
        if ok.shape[0] * 2 < col.shape[0]:
            out.append(Interval(float(v), math.nan, math.nan))
        else:
            low, high = np.percentile(ok, [tail, 100.0 - tail])
            out.append(Interval(float(v), float(low), float(high)))
    return out


def mean_intervals(values: np.ndarray, block: int) -> list[Interval]:
    """Interval of the mean of each column of a (W, K) array (one bootstrap, shared indices)."""
    v = np.asarray(values, dtype=np.float64)
    return paired_intervals(lambda x: x.mean(axis=0), v, block=block)


def sharpe_multiple(evolved: np.ndarray, other: np.ndarray) -> np.ndarray:
    """[evolved mean, baseline mean, evolved / baseline] of window Sharpe; the multiple is NaN when
    the baseline's mean is not positive (a multiple of a non-positive Sharpe means nothing)."""
    e, o = float(np.mean(evolved)), float(np.mean(other))
    return np.array([e, o, e / o if o > 0 else math.nan])


def drawdown_cut(evolved: np.ndarray, other: np.ndarray) -> np.ndarray:
    """[evolved mean, baseline mean, 1 - evolved / baseline] of window max drawdown."""
    e, o = float(np.mean(evolved)), float(np.mean(other))
    return np.array([e, o, 1.0 - e / o if o > 0 else math.nan])
