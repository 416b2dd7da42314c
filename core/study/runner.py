"""The thin layer above the study kernels: load and align data, build windows, run, time.

Why a separate layer: the kernels take plain aligned arrays; everything that can be wrong
with user input (missing directory, unknown asset, a coin that does not cover the period,
calendars that differ) is decided here and reported as one `BadInputError` line.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from core.errors import BadInputError
from core.market.loader import expand_paths, load_many
from core.market.ohlcv import OHLCV, date_text

log = logging.getLogger("evorisk.study")

# Studying one coin at a time lets a caller show progress; the parallel kernel still
# spreads each coin's windows over all cores, so the split costs microseconds.
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class StudyConfig:
    """The study's knobs; defaults reproduce the 2-million-backtest stop study."""

    start: str = "2018-01-01"  # first day included (UTC)
    end: str = "2021-01-01"  # first day excluded (UTC)
    n_windows: int = 400
    window_bars: int = 180  # 180 daily bars = 180 days
    n_levels: int = 100  # stop levels 1%, 2%, ... n_levels% of the entry close
    seed: int = 42  # seeds the random-exit draws
    fee_rate: float = 0.0025  # 0.25% of traded value per side
    slippage_rate: float = 0.0025  # 0.25% of price per side, stop fills included

    def stop_levels(self) -> np.ndarray:
        """Stop distances as fractions: 0.01, 0.02, ... (integer percent / 100, exact in both engines)."""
        return np.arange(1, self.n_levels + 1, dtype=np.float64) / 100.0


@dataclass(frozen=True)
class StudyInputs:
    """Aligned prices of the selected coins over the study period, shape (n_assets, n_bars)."""

    assets: tuple[str, ...]
    time_ns: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    periods_per_year: float


@dataclass(frozen=True)
class StudyResult:
    """Raw outcome of every backtest plus what is needed to explain it."""

    config: StudyConfig
    assets: tuple[str, ...]
    window_starts: np.ndarray  # (n_windows,) bar index into StudyInputs.time_ns
    window_start_ns: np.ndarray  # (n_windows,) UTC ns of each window's entry bar
    stop_levels: np.ndarray  # (n_levels,) fractions
    random_exit_bars: np.ndarray  # (n_assets, n_windows, n_levels) offsets from entry
    regimes: np.ndarray  # (n_assets, n_windows) codes into core.regimes.REGIME_NAMES
    total_returns: np.ndarray  # (n_assets, n_windows, n_kinds, n_levels) fraction of cash
    exit_offsets: np.ndarray  # same shape, bars held
    kernel_s: float  # wall time of the backtest kernel calls

    @property
    def n_backtests(self) -> int:
        return int(self.total_returns.size)


def _parse_day(text: str, flag: str) -> np.datetime64:
    try:
        return np.datetime64(text, "ns")
    except ValueError as exc:
        raise BadInputError(f"{flag} {text!r} is not an ISO date (YYYY-MM-DD)") from exc


def load_study_inputs(data_dir: str | Path, assets: list[str] | None, start: str, end: str) -> StudyInputs:
    """Load the coins of `data_dir` (all, or the named ones) cut to [start, end) on one calendar."""
    directory = Path(data_dir)
    if not directory.is_dir():
        raise BadInputError(f"--data {data_dir}: no such directory")
    files = {p.stem.upper(): p for p in expand_paths([directory])}
    if not files:
        raise BadInputError(f"--data {data_dir}: no *.csv files")
    wanted = list(files) if not assets else [a.strip().upper() for a in assets if a.strip()]
    missing = [a for a in wanted if a not in files]
    if missing or not wanted:
        raise BadInputError(f"--assets: no CSV for {', '.join(missing) or '(none given)'} in {data_dir} "
                            f"(have {', '.join(sorted(files))})")
    t0, t1 = _parse_day(start, "--start"), _parse_day(end, "--end")
    if t1 <= t0:
        raise BadInputError(f"--end {end} is not after --start {start}")
    series = [s.between(t0, t1) for s in load_many([files[a] for a in wanted])]
    return _aligned(series, start, end)


def _aligned(series: list[OHLCV], start: str, end: str) -> StudyInputs:
    """Stack the coins; every coin must have the same bars, or windows would mean different days."""
    reference = max(series, key=len)
    if len(reference) == 0:
        raise BadInputError(f"no bars between {start} and {end}")
    for s in series:
        if len(s) != len(reference) or not np.array_equal(s.time_ns, reference.time_ns):
            first = date_text(s.time_ns[0]) if len(s) else "-"
            raise BadInputError(
                f"{s.name} has {len(s)} bars from {first} in [{start}, {end}), {reference.name} has "
                f"{len(reference)} from {date_text(reference.time_ns[0])}: coins must share one calendar")

    def stack(field: str) -> np.ndarray:
        return np.ascontiguousarray(np.stack([getattr(s, field) for s in series]), dtype=np.float64)

    return StudyInputs(tuple(s.name for s in series), reference.time_ns.copy(), stack("open"),
                       stack("high"), stack("low"), stack("close"), reference.periods_per_year)


def evenly_spaced_starts(n_bars: int, n_windows: int, window_bars: int) -> np.ndarray:
    """First bars of `n_windows` windows spread evenly from the first to the last possible start."""
    if window_bars < 2:
        raise BadInputError(f"window of {window_bars} bars: need at least 2 (entry and exit)")
    if n_windows < 1:
        raise BadInputError(f"--windows {n_windows}: need at least 1 window")
    room = n_bars - window_bars + 1  # number of distinct possible starts
    if room < n_windows:
        raise BadInputError(f"{n_windows} windows of {window_bars} bars do not fit in {n_bars} bars "
                            f"(at most {max(room, 0)} distinct windows)")
    return np.rint(np.linspace(0, room - 1, n_windows)).astype(np.int64)


def random_exit_offsets(assets: tuple[str, ...], n_windows: int, n_levels: int, window_bars: int,
                        seed: int) -> np.ndarray:
    """Random-kind exit bars: uniform over offsets 1..window_bars-1 for each (asset, window, level).

    Each coin draws from its own generator seeded by (seed, coin name), so a coin's random exits
    are the same whether it is studied alone or with others.
    """
    out = np.empty((len(assets), n_windows, n_levels), dtype=np.int64)
    for i, name in enumerate(assets):
        rng = np.random.default_rng([seed, *name.encode("utf-8")])
        out[i] = rng.integers(1, window_bars, size=(n_windows, n_levels))
    return out


def run_study(inputs: StudyInputs, config: StudyConfig, on_progress: ProgressFn | None = None) -> StudyResult:
    """Run every backtest of the study over the aligned inputs."""
    from core.study.study_nb import study_returns_nb, window_regimes_nb

    starts = evenly_spaced_starts(inputs.close.shape[1], config.n_windows, config.window_bars)
    levels = config.stop_levels()
    random_bars = random_exit_offsets(inputs.assets, config.n_windows, config.n_levels,
                                      config.window_bars, config.seed)
    regimes = window_regimes_nb(inputs.close, starts, config.window_bars, inputs.periods_per_year)
    chunk = 1 if on_progress else len(inputs.assets)
    parts_returns, parts_offsets = [], []
    t0 = time.perf_counter()
    for lo in range(0, len(inputs.assets), chunk):
        hi = lo + chunk
        r, o = study_returns_nb(inputs.open[lo:hi], inputs.high[lo:hi], inputs.low[lo:hi],
                                inputs.close[lo:hi], starts, config.window_bars, levels,
                                random_bars[lo:hi], config.fee_rate, config.slippage_rate)
        parts_returns.append(r)
        parts_offsets.append(o)
        if on_progress:
            on_progress(hi, len(inputs.assets))
    kernel_s = time.perf_counter() - t0
    total_returns = parts_returns[0] if len(parts_returns) == 1 else np.concatenate(parts_returns)
    exit_offsets = parts_offsets[0] if len(parts_offsets) == 1 else np.concatenate(parts_offsets)
    log.info("stop study: %d backtests in %.3f s", total_returns.size, kernel_s)
    return StudyResult(config, inputs.assets, starts, inputs.time_ns[starts], levels, random_bars,
                       regimes, total_returns, exit_offsets, kernel_s)
