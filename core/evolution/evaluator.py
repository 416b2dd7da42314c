"""The real fitness function for `evorisk evolve`: the backtest kernel over a set of CSV files.

This is the single place that knows the backtest API's shape, so a change there is adapted here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from core.errors import EvoriskError
from core.evolution.loop import Evaluator


class BacktestUnavailableError(EvoriskError):
    """The backtest kernel (core.backtest.api) is not installed in this checkout."""


def make_evaluator(paths: Sequence[str | Path]) -> tuple[Evaluator, str, str]:
    """(evaluate, fingerprint, description) for the OHLCV files at `paths`.

    The fingerprint is the dataset's own, which covers both the bars and the backtest settings,
    so a resume refuses when either changed. Bad files raise DataValidationError (exit 2).
    """
    from core.market.loader import load_many

    series = load_many(list(paths))
    try:
        from core.backtest.api import BacktestConfig, build_dataset, evaluate_population
    except ImportError as exc:
        raise BacktestUnavailableError(f"the backtest kernel is not available: {exc}") from None
    dataset = build_dataset(series, BacktestConfig())

    def evaluate(genes: np.ndarray) -> np.ndarray:
        return np.asarray(evaluate_population(dataset, genes).fitness, dtype=np.float64)

    description = ",".join(dataset.names)
    return evaluate, str(dataset.fingerprint), description
