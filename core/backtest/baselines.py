"""Raw kernel parameters for the reference strategies an evolved genome is measured against.

They bypass the genome's decoding on purpose: "a plain 12% stop" is not a point of the genome's
box (stop_atr_mult >= 0.5, vol scaling, regimes ... always apply there), so the baselines are
written as already-decoded parameter rows and run through `api.run_kernel`. The kernel tests use
the same rows, so the oracle comparisons and the report measure exactly the same thing.

The equal-weight basket cannot be expressed with entry signals, so it is plain numpy here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import policy
from core.backtest import enums as E

STOP_KINDS = ("stop_loss", "trailing", "take_profit")
_LEVEL_COLUMN = {"stop_loss": E.SL_PCT, "trailing": E.TRAIL_PCT, "take_profit": E.TP_PCT}
_WEIGHT_COLUMN = {"stop_loss": E.W_SL, "trailing": E.W_TRAIL, "take_profit": E.W_TP}
# The kernel clips every distance (policy.*_MIN/MAX); a grid outside that range would repeat levels.
_CLIP_PCT = {"stop_loss": (policy.SL_MIN, policy.SL_MAX), "trailing": (policy.TRAIL_MIN, policy.TRAIL_MAX),
             "take_profit": (policy.TP_MIN, policy.TP_MAX)}
GRID_MAX_LEVEL = 0.50  # the design note's study stops at 50%
GRID_STEP = 0.01


def neutral_params(**overrides: float) -> np.ndarray:
    """Raw parameters with every adaptive rule off (plain fixed stops far away, equal vote
    weights); keyword names are the enums' column constants in lower case."""
    p = np.zeros(E.N_PARAMS)
    p[E.SL_PCT] = 0.5
    p[E.ATR_MULT] = 0.0
    p[E.TRAIL_PCT] = 0.3
    p[E.TRAIL_ACT] = 1e9  # never armed
    p[E.TP_PCT] = 0.6
    p[E.TP_LEVELS] = 1
    p[E.VOL_MULT] = 0.0
    p[E.VOL_LOOKBACK] = 20
    p[E.HIGH_VOL_RATIO] = 1e9
    p[E.MAX_HOLD] = 1e9  # no time exit
    p[E.TIME_DECAY] = 1.0
    p[E.MAX_DD] = 1e9  # breaker never trips
    p[E.CORR_LIMIT] = 10.0  # correlation gate never closes
    p[E.CONC_LIMIT] = 1.0  # plain equal weight
    p[E.NEWS_VOL_MULT] = 1.0
    p[E.W_SL], p[E.W_TRAIL], p[E.W_TP] = 1 / 3, 1 / 3, 1 / 3
    for name, value in overrides.items():
        p[getattr(E, name.upper())] = value
    return p


def hold_params() -> np.ndarray:
    """Hold every entry to the window end: all vote weights 0, so no stop kind can ever pass."""
    return neutral_params(w_sl=0.0, w_trail=0.0, w_tp=0.0)


def fixed_stop_params(kind: str, level: float) -> np.ndarray:
    """One fixed exit at `level` (fraction of the entry price) and nothing else: only that kind
    has a vote weight. The trailing stop is armed from entry on, as in the stop study."""
    if kind not in _LEVEL_COLUMN:
        raise ValueError(f"unknown stop kind {kind!r}; expected one of {', '.join(STOP_KINDS)}")
    p = hold_params()
    p[_LEVEL_COLUMN[kind]] = level
    p[_WEIGHT_COLUMN[kind]] = 1.0
    if kind == "trailing":
        p[E.TRAIL_ACT] = 0.0
    return p


def level_grid(kind: str) -> np.ndarray:
    """Levels 1%..50% in 1% steps, restricted to the kernel's clip range for that kind."""
    low, high = _CLIP_PCT[kind]
    levels = np.round(np.arange(1, round(GRID_MAX_LEVEL / GRID_STEP) + 1) * GRID_STEP, 10)
    return levels[(levels >= low - 1e-12) & (levels <= min(high, GRID_MAX_LEVEL) + 1e-12)]


def fixed_stop_grid(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(levels, params (L, 22)): one row per level, evaluated in one kernel call."""
    levels = level_grid(kind)
    return levels, np.stack([fixed_stop_params(kind, float(x)) for x in levels])


@dataclass(frozen=True)
class BasketWindow:
    equity_usd: np.ndarray  # mark-to-market equity at each close
    total_return: float  # last marked equity / initial - 1 (as the kernel's total_return)
    sharpe: float
    max_drawdown: float
    win_rate: float  # share of assets whose round trip (exit costs included) made money
    profit_factor: float  # capped at enums.PF_CAP like the kernel's


def basket_window(open_: np.ndarray, close: np.ndarray, participates: np.ndarray, w0: int, n_bars: int,
                  fee_pct: float, slippage_pct: float, cash_usd: float, periods_per_year: float) -> BasketWindow:
    """Buy every participating asset at equal weight at the window's first open, hold to the last
    close. Costs and metrics follow the kernel's conventions (entry at open x (1 + slippage) plus
    the fee; equity marked at closes; the exit at the last close only counts in win rate and PF)."""
    assets = np.flatnonzero(participates)
    budget_usd = cash_usd / assets.shape[0]
    entry_px = open_[assets, w0] * (1.0 + slippage_pct)
    units = budget_usd / (entry_px * (1.0 + fee_pct))
    closes = close[assets, w0:w0 + n_bars]
    equity = (units[:, None] * closes).sum(axis=0)  # no cash left: every dollar is invested
    exit_usd = units * closes[:, -1] * (1.0 - slippage_pct) * (1.0 - fee_pct)
    pnl_usd = exit_usd - budget_usd
    returns = np.diff(np.concatenate(([cash_usd], equity))) / np.concatenate(([cash_usd], equity[:-1]))
    std = returns.std(ddof=1) if n_bars > 1 else 0.0
    sharpe = float(returns.mean() / std * np.sqrt(periods_per_year)) if std > 1e-15 else 0.0
    peak = np.maximum.accumulate(np.concatenate(([cash_usd], equity)))[1:]
    gross_win, gross_loss = pnl_usd[pnl_usd > 0].sum(), -pnl_usd[pnl_usd <= 0].sum()
    if gross_loss > 0:
        pf = min(gross_win / gross_loss, E.PF_CAP)
    else:
        pf = E.PF_CAP if gross_win > 0 else 0.0
    return BasketWindow(equity, float(equity[-1] / cash_usd - 1.0), sharpe, float((1.0 - equity / peak).max()),
                        float((pnl_usd > 0).mean()), float(pf))
