"""Dataset: assets aligned on one time axis, every indicator computed once on the full history,
and the evaluation windows. Built once per data set; every kernel call reuses it."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from core.backtest import indicators_nb as ind
from core.backtest.enums import MAX_LOOKBACK, MIN_LOOKBACK, N_LOOKBACKS
from core.errors import BadInputError
from core.market.daily_range import carry_to_bars, daily_bars
from core.market.ohlcv import OHLCV, date_text, fingerprint_many
from core.market.interval import bars_per_day, days_to_bars, interval_name
from core.market.windows import window_starts
from core.regimes import REGIME_NAMES, SIDEWAYS_STABLE, regime_code

AVG_VOL_DAYS = 100  # avg_vol = mean of vol over this many days (SPEC gene 8/9), converted to bars
AVG_VOL_BARS = AVG_VOL_DAYS  # on daily bars (kept for callers that count daily bars)
WINDOW_DAYS, WINDOW_STEP_DAYS = 180, 45  # SPEC section 3, whatever the bar interval
MOMENTUM_BARS = 20  # trend used by gene 16 (momentum-adjusted trailing), in completed days
ENTRY_RET_BARS = 5  # test entries: 5-bar return ...
ENTRY_HISTORY_BARS = 180  # ... against the trailing quantile of the previous 180 bars
ENTRY_QUANTILE_LONG, ENTRY_QUANTILE_SHORT = 0.8, 0.2
CORR_LOOKBACK_BARS = 30  # rolling return correlation for the entry gate
RANDOM_ENTRY_PROB = 0.05  # per-bar entry probability in the seeded random-entry mode


@dataclass(frozen=True)
class BacktestConfig:
    """Everything besides the genome that changes a backtest result; part of the fingerprint."""

    fee_pct: float = 0.0025
    slippage_pct: float = 0.0025
    sides: str = "long"  # "long" or "both" (adds mirrored short entries)
    entry_mode: str = "momentum"  # or "random"
    entry_seed: int = 0
    initial_cash_usd: float = 10_000.0
    # Windows are defined in days; window_bars/window_step_bars None means "convert the days with
    # the data's bar interval" (build_dataset fills them in). Explicit bars win (kernel tests).
    window_bars: int | None = None
    window_step_bars: int | None = None
    window_days: float = WINDOW_DAYS
    window_step_days: float = WINDOW_STEP_DAYS
    start: str | None = None  # windows must lie inside [start, end); indicators use all history
    end: str | None = None

    def validate(self) -> None:
        if self.sides not in ("long", "both"):
            raise BadInputError(f"sides must be 'long' or 'both', got {self.sides!r}")
        if self.entry_mode not in ("momentum", "random"):
            raise BadInputError(f"entry_mode must be 'momentum' or 'random', got {self.entry_mode!r}")
        if not (0 <= self.fee_pct < 0.1 and 0 <= self.slippage_pct < 0.1):
            raise BadInputError("fees and slippage must be fractions in [0, 0.1)")
        if self.window_bars is not None and (self.window_bars < 10 or (self.window_step_bars or 1) < 1):
            raise BadInputError("window needs at least 10 bars and a positive step")
        if self.window_days <= 0 or self.window_step_days <= 0:
            raise BadInputError("window and step must be positive numbers of days")

    def resolved(self, per_day: float) -> "BacktestConfig":
        """The config with window lengths in bars for data with `per_day` bars a day."""
        out = replace(self, window_bars=self.window_bars or days_to_bars(self.window_days, per_day),
                      window_step_bars=self.window_step_bars or days_to_bars(self.window_step_days, per_day))
        out.validate()
        return out

    def fingerprint_dict(self) -> dict:
        """What identifies the backtest: resolved bars, not the days they came from (so daily
        fingerprints are those of runs recorded before windows were defined in days)."""
        d = asdict(self)
        del d["window_days"], d["window_step_days"]
        return d


@dataclass(frozen=True, eq=False)
class Dataset:
    names: tuple[str, ...]
    config: BacktestConfig
    time_ns: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    vol: np.ndarray
    avg_vol: np.ndarray
    atr: np.ndarray
    regime: np.ndarray
    momentum: np.ndarray
    entry_long: np.ndarray
    entry_short: np.ndarray
    corr: np.ndarray
    window_starts: np.ndarray
    participation: np.ndarray
    window_regime: np.ndarray
    periods_per_year: float
    fingerprint: str
    data_fingerprint: str = field(default="")
    bar_interval: str = "1d"  # e.g. '1h'; every day-valued parameter is converted with bars_per_day
    bars_per_day: float = 1.0

    @property
    def n_windows(self) -> int:
        return int(self.window_starts.shape[0])

    def window_regime_names(self) -> list[str]:
        return [REGIME_NAMES[int(r)] for r in self.window_regime]

    def describe(self) -> str:
        """Assets and the span the evaluation windows cover."""
        first = date_text(self.time_ns[int(self.window_starts[0])])
        last = date_text(self.time_ns[int(self.window_starts[-1]) + self.config.window_bars - 1])
        return f"{','.join(self.names)} {first}..{last} ({self.n_windows} windows of {self.config.window_bars} bars)"


def daily_atr_pct(days, lookback_days: int) -> np.ndarray:
    """Gene 1's ATR at every bar: mean true range of the last `lookback_days` completed UTC days /
    the last completed day's close, carried through the bars of the day after (the rule and why:
    core/market/daily_range.py). On daily bars this is the plain ATR of the bars, unchanged; on
    hourly bars it is the daily ATR the monitor reads, so stop_atr_mult means the same distance."""
    return carry_to_bars(ind.atr_pct_nb(days.high, days.low, days.close, lookback_days), days)


def daily_regime_and_momentum(days, days_per_year: float) -> tuple[np.ndarray, np.ndarray]:
    """Genes 18 and 16's inputs at every bar, from completed days as the monitor reads them: the
    decision-time regime of the trailing DECISION_LOOKBACK_BARS days and the MOMENTUM_BARS-day
    return, carried through the next day's bars (on daily bars: the plain per-bar values)."""
    regime = ind.decision_regimes_nb(days.close, days_per_year)
    return (carry_to_bars(regime, days, before=float(SIDEWAYS_STABLE)).astype(np.int8),
            carry_to_bars(ind.momentum_nb(days.close, MOMENTUM_BARS), days))


def _align(series: list[OHLCV]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Union time axis and, per asset, the positions of its bars on it."""
    axis = np.unique(np.concatenate([s.time_ns for s in series]))
    return axis, [np.searchsorted(axis, s.time_ns) for s in series]


@dataclass
class _Columns:
    """Every asset's prices and indicators on the union time axis (NaN, no entry, and the
    sideways-stable regime where an asset has no bar); vol, avg_vol and atr have one slot per
    vol lookback (gene 9)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    momentum: np.ndarray
    vol: np.ndarray
    avg_vol: np.ndarray
    atr: np.ndarray
    regime: np.ndarray
    entry_long: np.ndarray
    entry_short: np.ndarray

    @classmethod
    def empty(cls, n_assets: int, n_bars: int) -> "_Columns":
        shape, per_lookback = (n_assets, n_bars), (N_LOOKBACKS, n_assets, n_bars)
        return cls(*(np.full(shape, np.nan) for _ in range(5)), *(np.full(per_lookback, np.nan) for _ in range(3)),
                   regime=np.full(shape, SIDEWAYS_STABLE, dtype=np.int8),
                   entry_long=np.zeros(shape, dtype=np.bool_), entry_short=np.zeros(shape, dtype=np.bool_))


@dataclass(frozen=True)
class _Windows:
    starts: np.ndarray  # first bar of each kept window
    participation: np.ndarray  # (window, asset): the asset has every bar of the window
    regime: np.ndarray  # the window's regime, from its equal-weight index of the participants


def build_dataset(series: list[OHLCV], config: BacktestConfig | None = None) -> Dataset:
    """Align assets, compute indicators for every vol lookback 10..30, and build the windows."""
    config = config or BacktestConfig()
    config.validate()
    _check_series(series)
    ppy, bar_ns = series[0].periods_per_year, series[0].bar_ns
    per_day = bars_per_day(bar_ns)
    config = config.resolved(per_day)
    axis, positions = _align(series)
    cols = _Columns.empty(len(series), axis.shape[0])
    rng = np.random.default_rng(config.entry_seed)
    for a, (s, pos) in enumerate(zip(series, positions)):
        cols.open[a, pos], cols.high[a, pos], cols.low[a, pos], cols.close[a, pos] = s.open, s.high, s.low, s.close
        _fill_indicators(cols, a, pos, s, bar_ns, per_day, ppy)
        cols.entry_long[a, pos], cols.entry_short[a, pos] = _entries(s, config, rng)
    windows = _windows(axis, cols.close, config, ppy)
    data_fp = fingerprint_many(series)
    return Dataset(names=tuple(s.name for s in series), config=config, time_ns=axis, open=cols.open,
                   high=cols.high, low=cols.low, close=cols.close, vol=cols.vol, avg_vol=cols.avg_vol, atr=cols.atr,
                   regime=cols.regime, momentum=cols.momentum, entry_long=cols.entry_long,
                   entry_short=cols.entry_short, corr=ind.rolling_correlation_nb(cols.close, CORR_LOOKBACK_BARS),
                   window_starts=windows.starts, participation=windows.participation, window_regime=windows.regime,
                   periods_per_year=ppy, fingerprint=_fingerprint(data_fp, config, per_day),
                   data_fingerprint=data_fp, bar_interval=interval_name(bar_ns), bars_per_day=per_day)


def _check_series(series: list[OHLCV]) -> None:
    if not series:
        raise BadInputError("no market data given")
    names = tuple(s.name for s in series)
    if len(set(names)) != len(names):
        raise BadInputError(f"duplicate asset names: {', '.join(names)}")
    if len({s.bar_ns for s in series}) > 1:
        raise BadInputError("all assets must have the same bar size")


def _fill_indicators(cols: _Columns, a: int, pos: np.ndarray, s: OHLCV, bar_ns: int, per_day: float,
                     ppy: float) -> None:
    """Asset `a`'s vol, avg_vol and ATR for every lookback, its regime and momentum, at its bars `pos`."""
    days = daily_bars(s.time_ns, s.high, s.low, s.close, bar_ns)
    avg_vol_bars = days_to_bars(AVG_VOL_DAYS, per_day)
    # gene 9 is 10..30 days; slot k holds the indicators for k + 10 days in this data's bars
    for k, lookback_days in enumerate(range(MIN_LOOKBACK, MAX_LOOKBACK + 1)):
        v = ind.rolling_return_std_nb(s.close, days_to_bars(lookback_days, per_day))
        cols.vol[k, a, pos] = v
        cols.avg_vol[k, a, pos] = ind.rolling_mean_nb(v, avg_vol_bars)
        cols.atr[k, a, pos] = daily_atr_pct(days, lookback_days)
    # the "days" of bars a day or longer are the bars themselves, annualised as the bars
    cols.regime[a, pos], cols.momentum[a, pos] = daily_regime_and_momentum(days, ppy / per_day if per_day > 1 else ppy)


def _entries(s: OHLCV, config: BacktestConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The test entries (long, short) at each of the asset's bars: momentum, or seeded random draws."""
    if config.entry_mode == "momentum":
        return ind.momentum_entries_nb(s.close, ENTRY_RET_BARS, ENTRY_HISTORY_BARS,
                                       ENTRY_QUANTILE_LONG, ENTRY_QUANTILE_SHORT)
    draws = rng.random((2, len(s)))
    return draws[0] < RANDOM_ENTRY_PROB, draws[1] < RANDOM_ENTRY_PROB


def _windows(axis: np.ndarray, close: np.ndarray, config: BacktestConfig, ppy: float) -> _Windows:
    """The evaluation windows inside [start, end) in which at least one asset has every bar."""
    n, length = axis.shape[0], config.window_bars
    lo = 0 if config.start is None else int(np.searchsorted(axis, np.datetime64(config.start, "ns").astype(np.int64)))
    hi = n if config.end is None else int(np.searchsorted(axis, np.datetime64(config.end, "ns").astype(np.int64)))
    valid = np.isfinite(close)
    keep, part, wreg = [], [], []
    for w0 in window_starts(n, length, config.window_step_bars):
        if w0 < lo or w0 + length > hi:
            continue
        p = valid[:, w0:w0 + length].all(axis=1)
        if not p.any():
            continue
        index = (close[p, w0:w0 + length] / close[p, w0:w0 + 1]).mean(axis=0)
        keep.append(w0)
        part.append(p)
        wreg.append(regime_code(index, 0, index.shape[0], ppy))
    if not keep:
        raise BadInputError(f"no complete {length}-bar window in the selected data and period")
    return _Windows(np.array(keep, dtype=np.int64), np.array(part, dtype=np.bool_), np.array(wreg, dtype=np.int64))


def _fingerprint(data_fp: str, config: BacktestConfig, per_day: float) -> str:
    """What a checkpoint must match to resume: the data and every config value that changes results."""
    identity = config.fingerprint_dict()
    if per_day > 1.0:  # intraday ATR became the daily one: runs made before cannot resume onto it
        identity["atr"] = "completed-days"
    return hashlib.sha256((data_fp + json.dumps(identity, sort_keys=True)).encode()).hexdigest()
