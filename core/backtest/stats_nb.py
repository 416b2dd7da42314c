"""Window statistics and the population fitness: the score of SPEC section 4 from one window's
close equity and trade tallies, and the regime-balanced mean of those scores."""
from __future__ import annotations

import core.numba_cache  # noqa: F401  (first: keys numba's cache on every kernel source)
import math

import numpy as np
from numba import njit

from core.backtest.enums import M_MAXDD, M_PF, M_RETURN, M_SCORE, M_SHARPE, M_TRADES, M_WINRATE, PF_CAP, WindowMetrics

SCORE_W_SHARPE, SCORE_W_DD, SCORE_W_WIN, SCORE_W_PF = 0.4, 0.3, 0.2, 0.1


@njit(cache=True, nogil=True, error_model="numpy")  # as the phases: no raise path in the hot call
def window_metrics_nb(equity, cash0, account, periods_per_year):
    """WindowMetrics of one window: defined values without trades, never NaN.

    Args:
        equity: (n_bars,) close equity (USD). cash0: initial cash (USD).
        account: the window's account record (account_dt): its trade tallies.
    """
    n = equity.shape[0]
    prev = cash0
    total = 0.0
    peak = cash0
    mdd = 0.0
    for i in range(n):
        total += equity[i] / prev - 1.0
        prev = equity[i]
        if equity[i] > peak:
            peak = equity[i]
        dd = 1.0 - equity[i] / peak
        if dd > mdd:
            mdd = dd
    mean = total / n
    prev = cash0
    ss = 0.0
    for i in range(n):
        d = equity[i] / prev - 1.0 - mean
        ss += d * d
        prev = equity[i]
    std = math.sqrt(ss / (n - 1)) if n > 1 else 0.0
    sharpe = mean / std * math.sqrt(periods_per_year) if std > 1e-15 else 0.0
    trades = account.n_trades
    win_rate = account.n_wins / trades if trades > 0 else 0.0
    if trades == 0:
        pf = 0.0
    elif account.gross_loss_usd > 0.0:
        pf = min(account.gross_win_usd / account.gross_loss_usd, PF_CAP)
    else:
        pf = PF_CAP if account.gross_win_usd > 0.0 else 0.0
    if trades == 0:
        sharpe = 0.0
        mdd = 0.0
    score = SCORE_W_SHARPE * sharpe + SCORE_W_DD * (1.0 - mdd) + SCORE_W_WIN * win_rate + SCORE_W_PF * pf
    return WindowMetrics(score, equity[n - 1] / cash0 - 1.0, sharpe, mdd, win_rate, pf, float(trades))


@njit(cache=True, nogil=True)
def store_metrics_nb(out, m):
    """Write WindowMetrics into a row of the (P, W, N_METRICS) matrix, columns METRIC_NAMES."""
    out[M_SCORE] = m.score
    out[M_RETURN] = m.total_return
    out[M_SHARPE] = m.sharpe
    out[M_MAXDD] = m.max_drawdown
    out[M_WINRATE] = m.win_rate
    out[M_PF] = m.profit_factor
    out[M_TRADES] = m.trades


@njit(cache=True, nogil=True)
def fitness_from_scores_nb(scores, window_regime, n_regimes):
    """Mean over regimes of the mean window score per regime, x 1 / (1 + std of those means)."""
    sums = np.zeros(n_regimes)
    counts = np.zeros(n_regimes)
    for w in range(scores.shape[0]):
        sums[window_regime[w]] += scores[w]
        counts[window_regime[w]] += 1.0
    k = 0
    total = 0.0
    for r in range(n_regimes):
        if counts[r] > 0:
            total += sums[r] / counts[r]
            k += 1
    if k == 0:
        return 0.0
    mean = total / k
    ss = 0.0
    for r in range(n_regimes):
        if counts[r] > 0:
            d = sums[r] / counts[r] - mean
            ss += d * d
    return mean / (1.0 + math.sqrt(ss / k))
