"""argparse `type=` checkers: every flag value is refused at parse time, before any work starts.

argparse turns an ArgumentTypeError into `evorisk: error: argument --x: ...` on one line and exit
2 (console.cli._Parser). Each checker bounds its value, so `--interval nan`, `--interval inf`,
`--timeout 0`, `--seed -1` or a run id beyond SQLite's 64-bit integers never reach the code.
"""
from __future__ import annotations

import argparse
import math
import re
from datetime import datetime
from typing import Callable

MAX_SQLITE_INT = 2**63 - 1  # row ids and anything stored as INTEGER
MAX_SEED = 2**32 - 1  # numpy's legacy seeding range; every RNG we build accepts it
MAX_INTERVAL_S = 86_400.0  # one poll a day is the slowest monitor that still watches anything
MAX_TIMEOUT_S = 600.0  # a request that needs more than ten minutes has failed
MAX_SPEED = 1_000_000.0  # simulated seconds per real second: beyond this the clock outruns float ticks
MAX_COUNT = 10_000_000  # generations, windows, list limits: beyond this is a typo, not a plan
ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{what} must be a finite number, got {text!r}")
    return value


def _integer(text: str, what: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None


def positive_float(upper: float, what: str = "value") -> Callable[[str], float]:
    """A finite number in (0, upper]."""
    def check(text: str) -> float:
        value = _number(text, what)
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(f"{what} must be > 0 and <= {upper:g}, got {text}")
        return value
    check.__name__ = what  # argparse names the type in "invalid <name> value" messages
    return check


def fraction(upper: float = 0.5, what: str = "fraction") -> Callable[[str], float]:
    """A finite number in [0, upper) (fees and slippage as fractions of price)."""
    def check(text: str) -> float:
        value = _number(text, what)
        if not 0 <= value < upper:
            raise argparse.ArgumentTypeError(f"{what} must be >= 0 and < {upper:g}, got {text}")
        return value
    check.__name__ = what
    return check


def int_range(lower: int, upper: int, what: str = "value") -> Callable[[str], int]:
    """A whole number in [lower, upper]."""
    def check(text: str) -> int:
        value = _integer(text, what)
        if not lower <= value <= upper:
            raise argparse.ArgumentTypeError(f"{what} must be between {lower} and {upper:,}, got {text}")
        return value
    check.__name__ = what
    return check


interval_s = positive_float(MAX_INTERVAL_S, "seconds")
timeout_s = positive_float(MAX_TIMEOUT_S, "seconds")
speed = positive_float(MAX_SPEED, "speed")
seed = int_range(0, MAX_SEED, "seed")
row_id = int_range(1, MAX_SQLITE_INT, "id")
count = int_range(1, MAX_COUNT, "count")
non_negative_count = int_range(0, MAX_COUNT, "count")
population = int_range(2, MAX_COUNT, "population")  # memory is checked against the data later
port = int_range(0, 65535, "port")
fee_fraction = fraction(0.5, "fraction")


def size_units(text: str) -> float:
    """A position size in coin units: finite and > 0."""
    value = _number(text, "size")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"size must be > 0, got {text}")
    return value


def address(text: str) -> str:
    """An account address: 0x and 40 hex digits."""
    if not ADDRESS_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be 0x followed by 40 hex digits, got {text[:60]!r}")
    return text


def coin_list(text: str) -> str:
    """Comma-separated coin names, each non-empty and printable."""
    coins = [c.strip() for c in text.split(",")]
    if not coins or any(not c or not c.isprintable() or len(c) > 32 for c in coins):
        raise argparse.ArgumentTypeError(f"expected comma-separated coin names like BTC,ETH, got {text[:60]!r}")
    return text


MIN_YEAR, MAX_YEAR = 1678, 2261  # nanosecond timestamps (numpy, pandas) hold 1677-09-21 .. 2262-04-11


def iso_date(text: str) -> str:
    """An ISO date or date-time (2021-01-01, 2021-01-01T04:00) inside the nanosecond range."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO date such as 2021-01-01, got {text[:60]!r}") from None
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"{text} is outside {MIN_YEAR}-{MAX_YEAR}")
    return text
