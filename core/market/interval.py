"""Bar intervals and the conversion of day-valued genome parameters to bars (SPEC section 2: every
time gene is in days whatever the bar size).

The kernel counts bars; the layer above it (core.backtest.dataset and api) converts days with the
data's bars per day, so hourly data gets 180-day windows of 4,320 bars and a 60-day time exit of
1,440 bars, and the live monitor reads the same genome in days.
"""
from __future__ import annotations

import re

from core.errors import BadInputError

NS_PER_DAY = 86_400 * 10**9
_UNIT_NS = {"m": 60 * 10**9, "h": 3_600 * 10**9, "d": NS_PER_DAY, "w": 7 * NS_PER_DAY}
MONITOR_CANDLE_INTERVAL = "1d"  # the live monitor's indicators read daily candles (core/monitor/market_data.py)
MIN_LOOKBACK_BARS = 2  # a return std needs two returns: a lookback shorter than this cannot be converted
SHORTEST_TIME_GENE_DAYS = 10  # vol_lookback and max_hold_days start at 10 days (SPEC section 2)


def interval_name(bar_ns: int) -> str:
    """'1d', '4h', '15m', ... for a bar length; the largest unit that divides it evenly."""
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_NS[unit]
        if bar_ns >= size and bar_ns % size == 0:
            return f"{bar_ns // size}{unit}"
    return f"{bar_ns // 10**9}s"


def interval_ns(name: str) -> int:
    """Bar length of an interval name; BadInputError for anything else."""
    m = re.fullmatch(r"(\d+)([mhdws])", str(name).strip())
    if m is None or int(m.group(1)) <= 0:
        raise BadInputError(f"unknown bar interval {name!r} (expected e.g. 1d, 4h, 1h, 15m)")
    count, unit = int(m.group(1)), m.group(2)
    return count * (10**9 if unit == "s" else _UNIT_NS[unit])


def bars_per_day(bar_ns: int) -> float:
    return NS_PER_DAY / bar_ns


def days_to_bars(days: float, per_day: float) -> int:
    """Whole bars for a duration in days (at least one)."""
    return max(1, int(round(days * per_day)))


def conversion_problem(evolved_on: str | None, target: str) -> str | None:
    """Why a genome evolved on `evolved_on` bars cannot run on `target` candles, or None when its
    day-valued genes convert. Unknown (None) means a run that predates interval records: its time
    genes are read as days, as they always were on daily data."""
    if evolved_on is None:
        return None
    try:
        evolved_ns = interval_ns(evolved_on)
        target_ns = interval_ns(target)
    except BadInputError as exc:
        return str(exc)
    for name, ns in (("evolved on", evolved_ns), ("monitor", target_ns)):
        if SHORTEST_TIME_GENE_DAYS * bars_per_day(ns) < MIN_LOOKBACK_BARS:
            return (f"{name} {interval_name(ns)} candles are too coarse: a {SHORTEST_TIME_GENE_DAYS}-day lookback "
                    f"would be fewer than {MIN_LOOKBACK_BARS} bars")
    return None


def promotion_note(evolved_on: object, label: str) -> str:
    """The line saying which bars a genome was evolved on, for `promote` and the console's
    promotion modal; BadInputError when its day-valued genes cannot run on the monitor's candles."""
    if evolved_on is not None and not isinstance(evolved_on, str):
        raise BadInputError(f"{label}: bar_interval must be a text such as '1h', got {evolved_on!r}")
    problem = conversion_problem(evolved_on, MONITOR_CANDLE_INTERVAL)
    if problem is not None:
        raise BadInputError(f"{label}: not promoted: evolved on {evolved_on} bars and {problem}")
    if evolved_on is None:
        return (f"evolved on: interval not recorded (a run before intervals were recorded); time genes read as "
                f"days on the monitor's {MONITOR_CANDLE_INTERVAL} candles")
    same = "same interval" if evolved_on == MONITOR_CANDLE_INTERVAL else "time genes converted through days"
    return f"evolved on: {evolved_on} candles; the monitor reads {MONITOR_CANDLE_INTERVAL} candles ({same})"
