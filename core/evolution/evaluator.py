"""The real fitness function for `evorisk evolve`: the backtest kernel over a set of CSV files,
restricted to the training windows of the run's walk-forward split (core.evolution.walkforward).

This is the single place that knows the backtest API's shape, so a change there is adapted here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from core.errors import BadInputError, EvoriskError
from core.evolution.walkforward import Split, resolve_split, time_axis


class BacktestUnavailableError(EvoriskError):
    """The backtest kernel (core.backtest.api) is not installed in this checkout."""


@dataclass(frozen=True, eq=False)
class BacktestEvaluator:
    """Fitness of a genome batch on the training windows; `split` says which windows those are."""

    dataset: Any  # core.backtest.dataset.Dataset
    split: Split

    def __call__(self, genes: np.ndarray) -> np.ndarray:
        from core.backtest.api import evaluate_population

        return np.asarray(evaluate_population(self.dataset, genes).fitness, dtype=np.float64)


def make_evaluator(paths: Sequence[str | Path], split: str | None = None, fold: tuple[int, int] | None = None,
                   load: Callable[[list], list] | None = None) -> tuple[BacktestEvaluator, str, str]:
    """(evaluate, fingerprint, description) for the OHLCV files at `paths`.

    `split`/`fold` choose the training windows (walkforward.resolve_split; the default holds out
    the last 25% of the time axis). The fingerprint is the training dataset's own, which covers
    the bars, the backtest settings and the split, so a resume refuses when any of them changed.
    Bad files raise DataValidationError (exit 2). `load` turns `paths` into OHLCV series when
    they are not all CSV files (the console resolves `hl:` specs from its candle cache).
    """
    from core.market.loader import load_many

    series = (load or load_many)(list(paths))
    if not series:
        raise BadInputError("no market data given")
    try:
        from core.backtest.api import BacktestConfig, build_dataset
    except ImportError as exc:
        raise BacktestUnavailableError(f"the backtest kernel is not available: {exc}") from None
    chosen = resolve_split(time_axis(series), split, fold)
    try:
        dataset = build_dataset(series, chosen.train_config(BacktestConfig()))
    except BadInputError as exc:
        raise BadInputError(f"{exc} before the split {chosen.train_end}: choose a later --split") from None
    return BacktestEvaluator(dataset, chosen), str(dataset.fingerprint), ",".join(dataset.names)
