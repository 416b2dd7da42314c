"""Walk-forward validation splits: an evolution trains on windows that end before a split date and
is judged on windows that start at or after it, so a report never scores a genome on the data
that selected it. Indicators still use the whole history (no window starts without stops), which
leaks nothing: every indicator at bar t reads bars <= t only.

Two ways to choose the split, both recorded in the run's config:
- one split: a date given by the operator, or by default the start of the last 25% of the time
  axis (the union of all assets' bars);
- rolling folds (`fold i of k`): the axis is cut into k + 1 equal blocks; fold i trains on
  blocks 1..i and tests on block i + 1 (anchored walk-forward, one evolution per fold).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from core.backtest.dataset import BacktestConfig, build_dataset
from core.errors import BadInputError
from core.market.ohlcv import date_text

DEFAULT_TEST_FRACTION = 0.25  # hold out the last quarter of the time axis unless told otherwise


@dataclass(frozen=True)
class Split:
    """Training windows lie in [.., train_end); test windows in [train_end, test_end)."""

    train_end: str  # ISO date or time, exclusive
    test_end: str | None  # exclusive; None = up to the last bar
    rule: str  # how the split was chosen, in words (shown by `report`)
    fold: int | None = None
    folds: int | None = None

    def train_config(self, base: BacktestConfig) -> BacktestConfig:
        return replace(base, end=self.train_end)

    def test_config(self, base: BacktestConfig) -> BacktestConfig:
        return replace(base, start=self.train_end, end=self.test_end)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Split":
        """Rebuild from a run's stored config; anything else is a config we cannot trust."""
        try:
            split = cls(**data)
            _parse_time(split.train_end)
            if split.test_end is not None:
                _parse_time(split.test_end)
        except (TypeError, ValueError) as exc:
            raise BadInputError(f"unreadable walk-forward split in the run config: {exc}") from None
        return split


def _iso(time_ns: int) -> str:
    return date_text(int(time_ns)).replace(" ", "T")


def _parse_time(text: str) -> int:
    """ns since the epoch; ValueError for anything that is not an ISO date or time."""
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO date, got {text!r}")
    return int(np.datetime64(text, "ns").astype(np.int64))


def resolve_split(time_ns: np.ndarray, split: str | None = None, fold: tuple[int, int] | None = None,
                  test_fraction: float = DEFAULT_TEST_FRACTION) -> Split:
    """The split for a time axis: `fold` (i, k) wins over `split`; `split` None means the default
    last-quarter rule."""
    n_bars = int(time_ns.shape[0])
    if fold is not None:
        return _fold_split(time_ns, *fold)
    if split is None:
        at = int(n_bars * (1.0 - test_fraction))
        return Split(_iso(time_ns[at]), None,
                     f"default: the last {test_fraction:.0%} of the time axis ({_iso(time_ns[at])} to "
                     f"{_iso(time_ns[-1])}) is held out")
    try:
        at_ns = _parse_time(split)
    except ValueError:
        raise BadInputError(f"--split: {split!r} is not a date (YYYY-MM-DD)") from None
    if not time_ns[0] < at_ns <= time_ns[-1]:
        raise BadInputError(f"--split {split} lies outside the data ({_iso(time_ns[0])} to {_iso(time_ns[-1])})")
    return Split(split, None, f"given: training windows end before {split}, test windows start on it")


def parse_fold(text: str) -> tuple[int, int]:
    """'2/4' -> (2, 4), 1-based; BadInputError otherwise."""
    try:
        i_text, k_text = text.split("/")
        i, k = int(i_text), int(k_text)
    except ValueError:
        raise BadInputError(f"--fold: expected I/K such as 2/4, got {text!r}") from None
    if not 1 <= i <= k:
        raise BadInputError(f"--fold {text}: need 1 <= I <= K")
    return i, k


def _fold_split(time_ns: np.ndarray, fold: int, folds: int) -> Split:
    n_bars = int(time_ns.shape[0])
    bounds = [round(n_bars * j / (folds + 1)) for j in range(folds + 2)]
    train_end = _iso(time_ns[bounds[fold]])
    test_end = None if fold == folds else _iso(time_ns[bounds[fold + 1]])
    return Split(train_end, test_end,
                 f"rolling fold {fold} of {folds}: the time axis in {folds + 1} equal blocks, training on "
                 f"blocks 1..{fold}, testing on block {fold + 1} ({train_end} to {test_end or _iso(time_ns[-1])})",
                 fold=fold, folds=folds)


def time_axis(series: list) -> np.ndarray:
    """The union of every asset's bar times (the axis the dataset aligns on)."""
    return np.unique(np.concatenate([s.time_ns for s in series]))


def split_datasets(series: list, split: Split, base: BacktestConfig | None = None) -> tuple[Any, Any]:
    """(training dataset, test dataset) over the same bars; BadInputError when a side has no window."""
    base = base or BacktestConfig()
    train = build_dataset(series, split.train_config(base))
    try:
        test = build_dataset(series, split.test_config(base))
    except BadInputError:
        size = f"{base.window_bars}-bar" if base.window_bars else f"{base.window_days:g}-day"
        raise BadInputError(f"no complete {size} test window after the split {split.train_end}"
                            f" (up to {split.test_end or 'the last bar'}): choose an earlier --split") from None
    return train, test
