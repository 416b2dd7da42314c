"""Numba-friendly constants: decoded-parameter columns, metric columns, trade record fields."""
from __future__ import annotations

from core.genome import GENE_INDEX

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

# Metric columns per (genome, window).
M_SCORE, M_RETURN, M_SHARPE, M_MAXDD, M_WINRATE, M_PF, M_TRADES = range(7)
N_METRICS = 7
METRIC_NAMES = ("score", "total_return", "sharpe", "max_drawdown", "win_rate", "profit_factor", "trades")

# Exit kinds recorded per exit event.
EXIT_SL, EXIT_TRAIL, EXIT_TP, EXIT_TIME, EXIT_REDUCE, EXIT_BREAKER, EXIT_END = range(7)
EXIT_NAMES = ("stop", "trail", "take_profit", "time", "breaker_reduce", "breaker_exit", "window_end")

# Trade record fields (one row per exit event; partial exits are separate rows).
T_ASSET, T_SIDE, T_ENTRY_BAR, T_EXIT_BAR, T_ENTRY_PX, T_EXIT_PX, T_UNITS, T_PNL, T_KIND = range(9)
N_TRADE_FIELDS = 9

SIDE_LONG, SIDE_SHORT = 1.0, -1.0
PF_CAP = 3.0  # profit factor is capped at 3 in the score
