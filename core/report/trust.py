"""The deflated Sharpe ratio and the PBO of a run's chosen genome, from its own candidates.

- DSR: on the TRAINING windows, where the selection happened. The return series is the chosen
  genome's bar returns over non-overlapping training windows (every `block`-th window, chained),
  so no bar counts twice; the trial variance is that of the candidates' Sharpe ratios on the same
  bars; the trial count is the number of distinct genomes the run evaluated.
- PBO: CSCV over every window (training then test, in time order) x the run's candidates, the
  performance being the window score the evolution optimises.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

import numpy as np

from core.backtest.api import decode_matrix, run_kernel, window_detail
from core.backtest.dataset import Dataset
from core.backtest.enums import M_SCORE
from core.report.overfitting import cscv_pbo, deflated_sharpe


def _series_returns(dataset: Dataset, params_row: np.ndarray, windows: Sequence[int]) -> np.ndarray:
    cash = dataset.config.initial_cash_usd
    parts = []
    for w in windows:
        eq = np.concatenate(([cash], window_detail(dataset, params_row, int(w)).equity))
        parts.append(eq[1:] / eq[:-1] - 1.0)
    return np.concatenate(parts)


def disjoint_windows(dataset: Dataset) -> list[int]:
    """Every k-th window so that none overlaps the next (k = window / step, rounded up)."""
    c = dataset.config
    k = max(1, -(-c.window_bars // c.window_step_bars))
    return list(range(0, dataset.n_windows, k))


def trust_figures(train: Dataset, test: Dataset, chosen: Sequence[float], candidates: Sequence[Sequence[float]],
                  trials: int, trials_source: str) -> dict[str, Any]:
    """{'trials', 'deflated_sharpe', 'pbo'} for the report document (plain JSON types)."""
    cands = [tuple(c) for c in candidates]
    if tuple(chosen) not in cands:
        cands.append(tuple(chosen))
    params = decode_matrix(np.asarray(cands, dtype=np.float64))
    chosen_row = decode_matrix(np.asarray(chosen, dtype=np.float64))[0]
    windows = disjoint_windows(train)
    sel = _series_returns(train, chosen_row, windows)
    sharpes = []
    for row in params:
        r = _series_returns(train, row, windows)
        sd = r.std(ddof=1)
        sharpes.append(r.mean() / sd if sd > 1e-15 else 0.0)
    dsr = deflated_sharpe(sel, max(trials, 1), np.array(sharpes), train.periods_per_year)
    _, train_m = run_kernel(train, params)
    _, test_m = run_kernel(test, params)
    perf = np.concatenate([train_m[:, :, M_SCORE].T, test_m[:, :, M_SCORE].T], axis=0)  # (W, N)
    pbo = cscv_pbo(perf) if perf.shape[0] >= 2 else None
    dsr_doc = {k: float(v) if isinstance(v, float) else v for k, v in asdict(dsr).items()}
    dsr_doc.update(windows=len(windows), data="training windows, non-overlapping, chained",
                   text=(f"Deflated Sharpe ratio {dsr.probability:.3f}: the chance that the chosen genome's true "
                         f"Sharpe exceeds {dsr.benchmark_annual:.2f} a year, the best a skill-less search of "
                         f"{trials} genomes would show by luck (its training Sharpe is {dsr.sharpe_annual:.2f} a "
                         f"year over {dsr.n_obs} bars). The luck benchmark comes from the spread of the run's own "
                         f"candidates' Sharpe ratios ({len(cands)} of them, strongly correlated since they descend "
                         "from one population), so it is a test of selection luck in sample, not evidence that the "
                         "genome holds up out of sample."))
    pbo_doc = None
    if pbo is not None:
        pbo_doc = {"value": pbo.pbo, "splits": pbo.splits, "partitions": pbo.partitions,
                   "candidates": pbo.candidates, "periods": pbo.periods,
                   "logit_median": float(np.median(pbo.logits)),
                   "text": (f"Probability of backtest overfitting {pbo.pbo:.2f}: in {pbo.pbo:.0%} of {pbo.splits} "
                            f"splits of {pbo.periods} windows into halves, the candidate best on one half ranked "
                            f"in the bottom half of {pbo.candidates} candidates on the other"
                            + (" (under 0.5: selection carries some information)." if pbo.pbo < 0.5 else
                               " (0.5 or more: the selection is no better than a coin).")) }
    return {"trials": {"value": int(trials), "source": trials_source}, "deflated_sharpe": dsr_doc, "pbo": pbo_doc}
