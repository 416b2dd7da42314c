"""How far to trust a selected genome: the deflated Sharpe ratio and the probability of backtest
overfitting (SPEC section 10).

- Deflated Sharpe ratio (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio: Correcting for
  Selection Bias, Backtest Overfitting and Non-Normality", J. Portfolio Management 40(5), 2014):
  the probability that the selected strategy's true Sharpe ratio exceeds the Sharpe ratio the best
  of N skill-less trials would show by luck, corrected for the return series' skew and kurtosis.
- Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
  Borwein, Lopez de Prado & Zhu, "The Probability of Backtest Overfitting", J. Computational
  Finance 20(4), 2017; SSRN 2326253, 2015): how often the candidate that is best on one half of
  the periods ranks in the bottom half on the other half.

No maintained Python library implements either with a documented, tested API that fits our inputs
(arch has bootstraps and Hansen's SPA, not DSR or CSCV), so they are written here from the papers
and tested against the DSR paper's numeric example and CSCV cases with known answers.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

EULER_MASCHERONI = 0.5772156649015329
MAX_CSCV_PARTITIONS = 16  # S: C(16, 8) = 12,870 splits, the paper's own choice and enough here


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _norm_ppf(p: float) -> float:
    # the standard library's inverse normal CDF (Wichura's AS241) agrees with scipy's to 1e-15
    # and keeps scipy, an undeclared dependency that arch brings, out of the report's imports
    return NormalDist().inv_cdf(p)


def expected_max_sharpe(sr_variance: float, n_trials: int, sr_mean: float = 0.0) -> float:
    """E[max SR] over n_trials independent skill-less trials whose Sharpe estimates have this
    variance (the paper's eq. for SR_0, from the false strategy theorem)."""
    if n_trials < 2 or sr_variance <= 0.0:
        return sr_mean
    g = EULER_MASCHERONI
    z = (1.0 - g) * _norm_ppf(1.0 - 1.0 / n_trials) + g * _norm_ppf(1.0 - 1.0 / (n_trials * math.e))
    return sr_mean + math.sqrt(sr_variance) * z


def probabilistic_sharpe(sr: float, sr_benchmark: float, n_obs: int, skew: float, kurtosis: float) -> float:
    """P(true SR > sr_benchmark) for an observed per-period SR over n_obs returns (kurtosis is the
    plain fourth standardized moment, 3 for a normal distribution)."""
    if n_obs < 2:
        return float("nan")
    denom = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if denom <= 0.0:
        return float("nan")
    return _norm_cdf((sr - sr_benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom))


@dataclass(frozen=True)
class DeflatedSharpe:
    sharpe: float  # per period (not annualised) of the selected strategy
    sharpe_annual: float
    benchmark: float  # SR_0 per period: the expected best Sharpe of `trials` skill-less trials
    benchmark_annual: float
    trials: int
    sr_variance: float  # per period, across the candidates
    n_obs: int
    skew: float
    kurtosis: float
    probability: float  # the DSR itself: P(true SR > SR_0)


def deflated_sharpe(returns: np.ndarray, trials: int, trial_sharpes: np.ndarray,
                    periods_per_year: float) -> DeflatedSharpe:
    """DSR of a return series (per period) selected out of `trials` trials; `trial_sharpes` are
    per-period Sharpe ratios of the candidates, whose variance sets how lucky the best could be."""
    r = np.asarray(returns, dtype=np.float64)
    n = int(r.shape[0])
    std = float(r.std(ddof=1)) if n > 1 else 0.0
    sr = float(r.mean() / std) if std > 1e-15 else 0.0
    centred = r - r.mean()
    m2 = float((centred ** 2).mean()) if n else 0.0
    skew = float((centred ** 3).mean() / m2 ** 1.5) if m2 > 0 else 0.0
    kurt = float((centred ** 4).mean() / m2 ** 2) if m2 > 0 else 3.0
    ts = np.asarray(trial_sharpes, dtype=np.float64)
    var = float(ts.var(ddof=1)) if ts.shape[0] > 1 else 0.0
    sr0 = expected_max_sharpe(var, trials)
    annual = math.sqrt(periods_per_year)
    return DeflatedSharpe(sr, sr * annual, sr0, sr0 * annual, int(trials), var, n, skew, kurt,
                          probabilistic_sharpe(sr, sr0, n, skew, kurt))


@dataclass(frozen=True)
class OverfitProbability:
    pbo: float  # share of splits whose in-sample best ranks at or below the out-of-sample median
    splits: int  # C(S, S/2)
    partitions: int  # S
    candidates: int
    periods: int
    logits: np.ndarray  # one per split: log(w / (1 - w)), w the IS-best's relative OOS rank


def cscv_pbo(performance: np.ndarray, partitions: int | None = None) -> OverfitProbability:
    """PBO by CSCV of a (periods T, candidates N) performance matrix, higher is better.

    Rows are cut into S contiguous blocks (S even, at most MAX_CSCV_PARTITIONS and at most T);
    every choice of S/2 blocks is an in-sample set, its complement the out-of-sample set. A
    candidate's performance on a set is its mean over the set's rows. PBO is the share of splits
    where the in-sample best has a relative out-of-sample rank w <= 1/2 (logit <= 0).
    """
    m = np.asarray(performance, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValueError("CSCV needs a (periods, candidates) matrix with at least two candidates")
    t, n = m.shape
    s = partitions if partitions is not None else min(MAX_CSCV_PARTITIONS, t - t % 2)
    if s < 2 or s % 2 or s > t:
        raise ValueError(f"CSCV needs an even number of partitions between 2 and {t} periods, got {s}")
    blocks = np.array_split(np.arange(t), s)
    block_sums = np.stack([m[b].sum(axis=0) for b in blocks])  # (S, N)
    block_rows = np.array([len(b) for b in blocks], dtype=np.float64)
    logits = []
    for chosen in itertools.combinations(range(s), s // 2):
        in_mask = np.zeros(s, dtype=bool)
        in_mask[list(chosen)] = True
        is_perf = block_sums[in_mask].sum(axis=0) / block_rows[in_mask].sum()
        oos_perf = block_sums[~in_mask].sum(axis=0) / block_rows[~in_mask].sum()
        best = int(np.argmax(is_perf))  # first maximum: deterministic
        # relative rank in (0, 1): 1 = best out of sample; ties take their average rank
        below = float((oos_perf < oos_perf[best]).sum())
        equal = float((oos_perf == oos_perf[best]).sum())
        w = (below + (equal + 1.0) / 2.0) / (n + 1.0)
        logits.append(math.log(w / (1.0 - w)))
    arr = np.array(logits)
    return OverfitProbability(float((arr <= 0.0).mean()), int(arr.shape[0]), s, n, t, arr)
