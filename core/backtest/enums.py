"""Numba-friendly schemas: decoded-parameter columns, metric names, the trade record dtype and
the named tuples the kernel's phases pass between them (vectorbt's portfolio/enums.py pattern:
records as aligned structured dtypes, small immutable inputs as NamedTuples)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.genome import GENE_INDEX
from core.policy import StopParams

# Columns of the decoded parameter matrix (same order as the genome).
SL_PCT = GENE_INDEX["stop_loss_pct"]
ATR_MULT = GENE_INDEX["stop_atr_mult"]
TRAIL_PCT = GENE_INDEX["trail_pct"]
TRAIL_ACT = GENE_INDEX["trail_activation_pct"]
TRAIL_ONLY_PROFIT = GENE_INDEX["trail_only_profit"]
TP_PCT = GENE_INDEX["take_profit_pct"]
TP_SCALING = GENE_INDEX["tp_scaling"]
TP_LEVELS = GENE_INDEX["tp_levels"]
VOL_MULT = GENE_INDEX["vol_mult"]
VOL_LOOKBACK = GENE_INDEX["vol_lookback"]
HIGH_VOL_RATIO = GENE_INDEX["high_vol_ratio"]
MAX_HOLD = GENE_INDEX["max_hold_days"]
TIME_DECAY = GENE_INDEX["time_decay"]
MAX_DD = GENE_INDEX["max_drawdown_pct"]
CORR_LIMIT = GENE_INDEX["correlation_limit"]
CONC_LIMIT = GENE_INDEX["concentration_limit"]
MOMENTUM_ADJ = GENE_INDEX["momentum_adj"]
NEWS_VOL_MULT = GENE_INDEX["news_vol_mult"]
REGIME_SENS = GENE_INDEX["regime_sensitivity"]
W_SL = GENE_INDEX["w_sl"]
W_TRAIL = GENE_INDEX["w_trail"]
W_TP = GENE_INDEX["w_tp"]
N_PARAMS = 22

# Lookbacks precomputed for gene 9 (vol_lookback 10..30).
MIN_LOOKBACK, MAX_LOOKBACK = 10, 30
N_LOOKBACKS = MAX_LOOKBACK - MIN_LOOKBACK + 1

class WindowMetrics(NamedTuple):
    """The score of one (genome, window) and its parts (SPEC section 4); never NaN."""

    score: float
    total_return: float  # final equity / initial cash - 1
    sharpe: float  # annualised with the data's periods per year
    max_drawdown: float  # fraction of the running peak
    win_rate: float  # winning trades / trades
    profit_factor: float  # gross win / gross loss, capped at PF_CAP
    trades: float  # closed trades (a partly scaled-out position counts once)


# Metric columns per (genome, window): the kernel stores WindowMetrics in this order.
METRIC_NAMES = WindowMetrics._fields
M_SCORE, M_RETURN, M_SHARPE, M_MAXDD, M_WINRATE, M_PF, M_TRADES = range(len(METRIC_NAMES))
N_METRICS = len(METRIC_NAMES)

# Exit kinds recorded per exit event.
EXIT_SL, EXIT_TRAIL, EXIT_TP, EXIT_TIME, EXIT_REDUCE, EXIT_BREAKER, EXIT_END = range(7)
EXIT_NAMES = ("stop", "trail", "take_profit", "time", "breaker_reduce", "breaker_exit", "window_end")

# One exit event (partial exits are separate records); bars are positions on the dataset's time axis.
trade_dt = np.dtype([
    ("asset", np.int64),  # index into Dataset.names
    ("side", np.int64),  # +1 long, -1 short
    ("entry_bar", np.int64),
    ("exit_bar", np.int64),
    ("entry_px", np.float64),  # entry execution price (slippage included)
    ("exit_px", np.float64),  # exit execution price (slippage included)
    ("units", np.float64),  # units closed by this event
    ("cash_flow_usd", np.float64),  # cash this event brings in (negative when a short buys back), after fees
    ("kind", np.int64),  # EXIT_*
], align=True)

# An open position of one asset; a flat asset has units == 0.
position_dt = np.dtype([
    ("units", np.float64),  # signed: negative short
    ("side", np.float64),  # +1 / -1 of the open (or last) position
    ("ref_px", np.float64),  # open price at entry: the stop reference
    ("fill_px", np.float64),  # entry execution price
    ("entry_bar", np.int64),
    ("best_px", np.float64),  # best price since entry (high for a long, low for a short)
    ("initial_units", np.float64),  # take-profit levels split this; halved by a breaker reduce
    ("tp_done", np.int64),  # take-profit levels already taken
    ("cash_flow_usd", np.float64),  # the trade's running cash flow: its net result once flat
    ("closed_bar", np.int64),  # bar of the last exit that left it flat (no re-entry on that bar's open)
], align=True)

# The portfolio of one simulated window, mutated in place by the phases.
account_dt = np.dtype([
    ("cash_usd", np.float64),
    ("equity_usd", np.float64),  # mark-to-market equity at the previous close (sizes entries)
    ("hwm_usd", np.float64),  # high-water mark of the close equity
    ("state", np.int64),  # breaker state (policy.NORMAL ...), decided at the previous close
    ("pending_action", np.int64),  # policy.ACT_* the breaker asked for at the previous close
    ("reduce_done", np.bool_),  # this breaker episode has halved already
    ("exit_done", np.bool_),  # this EMERGENCY episode has closed everything already
    ("emergency_bars", np.int64),  # bars spent in EMERGENCY (the backtest-only peak reset)
    ("n_open", np.int64),  # open positions: Scratch.book[:n_open]
    ("n_records", np.int64),  # trade records written
    ("n_trades", np.int64),  # closed trades
    ("n_wins", np.int64),
    ("gross_win_usd", np.float64),
    ("gross_loss_usd", np.float64),
], align=True)


class ExitRules(NamedTuple):
    """A genome's exit schedule inputs, decoded once per window (policy.stop_distances and friends)."""

    stop: StopParams
    trail_activation_pct: float
    trail_only_profit: bool
    w_sl: float
    w_trail: float
    take_profit_on: bool  # policy.take_profit_passes(w_tp)


class WindowRules(NamedTuple):
    """Everything the phases need from a genome on one window, decided before its first bar."""

    exits: ExitRules
    lookback_slot: int  # index into the (N_LOOKBACKS, A, T) indicator stacks
    max_hold_bars: float
    target_fraction: float  # policy.position_target_fraction of the participating assets
    tp_levels: int  # scale-out levels (1 without scaling)
    break_even_long: float  # policy.break_even_mult per side
    break_even_short: float
    correlation_limit: float
    max_drawdown_pct: float
    emergency_cooldown_bars: int


class Market(NamedTuple):
    """The dataset's arrays the kernel reads (prices (A, T), indicator stacks (N_LOOKBACKS, A, T))."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    vol: np.ndarray  # return std per lookback slot
    avg_vol: np.ndarray  # its 100-day mean
    atr: np.ndarray  # ATR as a fraction of the close
    regime: np.ndarray  # (A, T) int8 decision-time regime codes
    momentum: np.ndarray  # (A, T) trailing return
    entry_long: np.ndarray  # (A, T) bool entry signals at each close
    entry_short: np.ndarray
    corr: np.ndarray  # (T, A, A) rolling return correlation
    regime_mult: np.ndarray  # (N_REGIMES, 3) SL / TP / trail multipliers


class Costs(NamedTuple):
    """Execution and accounting settings shared by every window."""

    fee: float  # fraction of notional per side
    slippage: float  # fraction of price per side
    initial_cash_usd: float
    allow_short: bool
    periods_per_year: float
    # Venue-tick execution (opt-in, the replay only): the venue's szDecimals per asset; fills then
    # sit on the venue's price tick (buys round up, sells down: core.exchange.ticks.round_price).
    # None (the default of every backtest and evolution) = exact prices, results unchanged, and a
    # kernel compiled without the rounding (books_nb.venue_px_nb dispatches on the type).
    tick_sz_decimals: np.ndarray | None = None  # (A,) int64


class EntrySignals(NamedTuple):
    """The entries signalled at each bar's previous close, per window (signals_nb.entry_signals_nb)."""

    offsets: np.ndarray  # (W, n_bars + 1) int64: bar i of window w reads k in offsets[w, i] .. offsets[w, i + 1] - 1
    asset: np.ndarray  # (N,) int64, ascending within a bar
    direction: np.ndarray  # (N,) +1 long / -1 short


class Scratch(NamedTuple):
    """Buffers one window simulation writes; allocated once per parallel chunk, reset per window."""

    positions: np.ndarray  # (A,) position_dt
    account: np.ndarray  # (1,) account_dt
    book: np.ndarray  # (A,) int64: assets with an open position, ascending (the phases' loop order)
    held_assets: np.ndarray  # (A,) int64: the correlation gate's holdings, then the candidate
    held_weights: np.ndarray  # (A,) signed notionals (USD) in the same order
    held_corr: np.ndarray  # (A * A,) their correlation matrix, row-major, upper triangle filled
    equity: np.ndarray  # (n_bars,) close equity (USD)
    states: np.ndarray  # (n_bars,) int64 breaker state decided at each close
    trades: np.ndarray  # (max_records,) trade_dt; empty when events are not recorded


SIDE_LONG, SIDE_SHORT = 1.0, -1.0
PF_CAP = 3.0  # profit factor is capped at 3 in the score
