"""CSV loading with validation (SPEC section 3): every problem is `PATH:ROW: what is wrong`.

Nothing is repaired: a file is either loaded whole or rejected with all of its problems listed.
ROW is the 1-based line number in the file (the header is line 1).
"""
from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

import numpy as np

from core.errors import DataValidationError
from core.files import regular_file_problem
from core.market.ohlcv import OHLCV

PRICE_COLUMNS = ("open", "high", "low", "close")
BAR_COLUMNS = (*PRICE_COLUMNS, "volume")
EXPECTED_HEADERS = (
    ("date", "open", "high", "low", "close", "volume"),
    ("datetime", "open", "high", "low", "close", "volume"),
)
# Stop listing after this many problems in one file: the first ones say enough.
MAX_PROBLEMS_PER_FILE = 20


# Timestamps are int64 nanoseconds (numpy/pandas datetime64[ns]): 1677-09-21 .. 2262-04-11.
MIN_TIME_NS, MAX_TIME_NS = -(2**63) + 1, 2**63 - 1


class DateOutOfRange(ValueError):
    """An ISO date that int64 nanoseconds cannot hold (before 1678 or after 2262)."""


def _parse_time_ns(text: str) -> int:
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    ns = int(dt.timestamp()) * 10**9 + dt.microsecond * 1000
    if not MIN_TIME_NS <= ns <= MAX_TIME_NS:
        raise DateOutOfRange(text)
    return ns


def value_problem(name: str, value: float, text: str | None = None) -> str | None:
    """Why one number of a bar is unusable (not finite, price <= 0, negative volume), or None."""
    text = f"{value:g}" if text is None else text
    if not math.isfinite(value):
        return f"{name} is {text} (not finite)"
    if name in PRICE_COLUMNS and value <= 0:
        return f"{name} {text} is not a positive price"
    if name == "volume" and value < 0:
        return f"volume {text} is negative"
    return None


def bar_problems(time_ns: int, prev_time_ns: int | None, values: Mapping[str, float], time_text: str,
                 shown: Mapping[str, str] | None = None) -> list[str]:
    """What is wrong with one bar, without its location; [] when it is good.

    The one rule set for every source of bars (CSV rows here, exchange candles in
    core.market.candles), so a candle is accepted exactly when the same CSV row would be.
    `values` holds open/high/low/close/volume; `shown` their original text for messages.
    """
    shown = shown or {}
    problems = [what for name in BAR_COLUMNS
                if (what := value_problem(name, values[name], shown.get(name))) is not None]
    if problems:
        return problems
    o, h, lo, c = values["open"], values["high"], values["low"], values["close"]
    if h < lo:
        return [f"high {h} < low {lo}"]
    if h < max(o, c):
        return [f"high {h} below max(open, close) {max(o, c)}"]
    if lo > min(o, c):
        return [f"low {lo} above min(open, close) {min(o, c)}"]
    if prev_time_ns is not None and time_ns == prev_time_ns:
        return [f"duplicate date {time_text}"]
    if prev_time_ns is not None and time_ns < prev_time_ns:
        return [f"date {time_text} is earlier than the row before (unsorted)"]
    return []


def _rows(reader, path: str, problems: list[str]):
    """(line, row) pairs; a row the csv module cannot parse (a field beyond its 128 KiB limit, a
    stray quote) ends the file with one problem line instead of an exception."""
    lineno = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(f"{path}:{lineno + 1}: malformed CSV row ({exc})")
            return
        lineno += 1
        yield lineno, row


def _problems_for(path: str, data: bytes) -> tuple[list[str], dict[str, list] | None]:
    """Every problem of one CSV file, each as "path:line: what", and its columns of good bars."""
    text, problem = _text_of(data)
    if problem is not None:
        return [f"{path}:{problem}"], None
    reader = csv.reader(io.StringIO(text, newline=""))  # keep bare CRs for csv to judge, not to crash on
    problem = _header_problem(reader)
    if problem is not None:
        return [f"{path}:1: {problem}"], None
    problems: list[str] = []
    cols: dict[str, list] = {"time": [], "open": [], "high": [], "low": [], "close": [], "volume": []}
    rows_seen = 0
    for lineno, row in _rows(reader, path, problems):
        if len(problems) >= MAX_PROBLEMS_PER_FILE:
            problems.append(f"{path}:{lineno}: further problems not listed")
            break
        if not row or all(not c.strip() for c in row):
            continue
        rows_seen += 1
        bar = _parse_row(row, cols["time"][-1][0] if cols["time"] else None)
        if isinstance(bar, list):
            problems.extend(f"{path}:{lineno}: {what}" for what in bar)
            continue
        time_ns, values = bar
        cols["time"].append((time_ns, lineno))
        for k in BAR_COLUMNS:
            cols[k].append(values[k])
    if rows_seen == 0 and not problems:
        problems.append(f"{path}:2: no data rows after the header")
    return problems, cols


def _text_of(data: bytes) -> tuple[str, str | None]:
    """The file's text, or why it is none: "line: what" (empty, binary, not UTF-8)."""
    if not data.strip():
        return "", "1: empty file"
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return "", f"{line}: binary data (NUL byte), not a CSV text file"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", f"{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})"


def _header_problem(reader) -> str | None:
    """Why the first row is not one of EXPECTED_HEADERS, or None (the reader is then past it)."""
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        return f"malformed CSV header ({exc})"
    if tuple(header) in EXPECTED_HEADERS:
        return None
    missing = [c for c in EXPECTED_HEADERS[0][1:] if c not in header]
    what = f"missing column(s) {', '.join(missing)}" if missing else "unexpected column order"
    return f"wrong header {','.join(header) or '(none)'}: {what}; expected date,open,high,low,close,volume"


def _parse_row(row: list[str], prev_time_ns: int | None) -> tuple[int, dict[str, float]] | list[str]:
    """One data row as (time in ns, values), or what is wrong with it (without its location)."""
    if len(row) != 6:
        return [f"expected 6 fields, got {len(row)}"]
    try:
        time_ns = _parse_time_ns(row[0])
    except DateOutOfRange:
        return [f"date {row[0].strip()!r} is outside 1678-2262 (the range of nanosecond timestamps)"]
    except (ValueError, OverflowError):
        return [f"date {row[0]!r} is not an ISO date"]
    values: dict[str, float] = {}
    shown: dict[str, str] = {}
    problems: list[str] = []
    for name, cell in zip(BAR_COLUMNS, row[1:]):
        try:
            values[name] = float(cell)
        except ValueError:
            problems.append(f"{name} {cell!r} is not a number")
            continue
        shown[name] = cell.strip()
        what = value_problem(name, values[name], shown[name])
        if what:
            problems.append(what)
    return problems or bar_problems(time_ns, prev_time_ns, values, row[0].strip(), shown) or (time_ns, values)


def _validated(path: Path, name: str | None = None) -> tuple[list[str], OHLCV | None]:
    label = str(path)
    problem = regular_file_problem(path)  # stat first: a FIFO would block read_bytes forever
    if problem is not None:
        return [f"{label}:0: {problem}"], None
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"{label}:0: cannot read ({exc.strerror})"], None
    problems, cols = _problems_for(label, data)
    if problems or cols is None:
        return problems, None
    series = OHLCV(
        name=name or path.stem.upper(),
        time_ns=np.array([t for t, _ in cols["time"]], dtype=np.int64),
        open=np.array(cols["open"], dtype=np.float64),
        high=np.array(cols["high"], dtype=np.float64),
        low=np.array(cols["low"], dtype=np.float64),
        close=np.array(cols["close"], dtype=np.float64),
        volume=np.array(cols["volume"], dtype=np.float64),
    )
    return [], series


def load_csv(path: str | Path, name: str | None = None) -> OHLCV:
    """Load and validate one CSV; raises DataValidationError listing every problem."""
    problems, series = _validated(Path(path), name)
    if problems or series is None:
        raise DataValidationError(problems)
    return series


def check_files(paths: list[str | Path]) -> tuple[list[OHLCV], list[str]]:
    """Validate every file; returns the good series and all problem lines (all files checked)."""
    good: list[OHLCV] = []
    problems: list[str] = []
    for p in paths:
        errs, series = _validated(Path(p))
        problems.extend(errs)
        if series is not None:
            good.append(series)
    return good, problems


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Directories expand to their *.csv files (sorted); files stay as given. A directory without
    any CSV is a mistake in the command line, not an empty success."""
    out: list[Path] = []
    empty: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(c for c in p.glob("*.csv") if not c.is_dir())
            if not found:
                empty.append(f"{p}:0: directory holds no *.csv files")
            out.extend(found)
        else:
            out.append(p)
    if empty:
        raise DataValidationError(empty)
    return out


def load_many(paths: list[str | Path]) -> list[OHLCV]:
    """Load several CSVs (directories expand); all-or-nothing."""
    good, problems = check_files(expand_paths(paths))
    if problems:
        raise DataValidationError(problems)
    return good
