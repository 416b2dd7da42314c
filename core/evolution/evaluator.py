"""The real fitness function for `evorisk evolve`: the backtest kernel over a set of CSV files,
restricted to the training windows of the run's walk-forward split (core.evolution.walkforward).

This is the single place that knows the backtest API's shape, so a change there is adapted here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from core.errors import BadInputError, EvoriskError
from core.evolution.hall_of_fame import Champion
from core.evolution.objective import Objective, inner_blocks
from core.evolution.pareto import first_front
from core.evolution.walkforward import Split, resolve_split, time_axis
from core.market.loader import load_many


class BacktestUnavailableError(EvoriskError):
    """The backtest kernel (core.backtest.api) is not installed in this checkout."""


@dataclass(frozen=True, eq=False)
class BacktestEvaluator:
    """Fitness of a genome batch on the training windows; `split` says which windows those are,
    `objective` what is optimised (core.evolution.objective)."""

    dataset: Any  # core.backtest.dataset.Dataset
    split: Split
    objective: Objective = Objective()

    def __call__(self, genes: np.ndarray) -> np.ndarray:
        return np.asarray(self.objective(self.dataset, genes), dtype=np.float64)

    def validation(self, genes: np.ndarray) -> np.ndarray | None:
        """Fitness on the inner validation block, None when the objective has none."""
        from core.backtest.api import evaluate_population

        if self.objective.folds <= 0:
            return None
        metrics = evaluate_population(self.dataset, np.atleast_2d(genes)).metrics
        return self.objective.validation_from_metrics(metrics, self.dataset.window_regime)

    def choose(self, state: Any) -> list[Champion]:
        """The run's returned genomes, best first: the hall of fame (and under NSGA-II the final
        Pareto front) ranked on the validation block when there is one, else the hall of fame as is.
        Deterministic from the final state, so a resumed run returns the same genome."""
        pool: dict[tuple, float] = {c.genes: c.fitness for c in state.hall_of_fame}
        if self.objective.fitness == "nsga2" and state.objectives:
            front = first_front(state.objectives)
            pool = {state.population[i]: state.fitness[i] for i in front}
        if self.objective.folds <= 0:
            return sorted((Champion(g, f) for g, f in pool.items()), key=lambda c: -c.fitness)
        genes = list(pool)
        val = self.validation(np.array(genes, dtype=np.float64))
        order = sorted(range(len(genes)), key=lambda i: -float(val[i]))  # stable: ties keep the earlier
        return [Champion(genes[i], pool[genes[i]]) for i in order]


def make_evaluator(paths: Sequence[str | Path], split: str | None = None, fold: tuple[int, int] | None = None,
                   load: Callable[[list], list] | None = None, objective: Objective | None = None
                   ) -> tuple[BacktestEvaluator, str, str]:
    """(evaluate, fingerprint, description) for the OHLCV files at `paths`.

    `split`/`fold` choose the training windows (walkforward.resolve_split; the default holds out
    the last 25% of the time axis). The fingerprint is the training dataset's own, which covers
    the bars, the backtest settings and the split, so a resume refuses when any of them changed.
    Bad files raise DataValidationError (exit 2). `load` turns `paths` into OHLCV series when
    they are not all CSV files (the console resolves `hl:` specs from its candle cache).
    """
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
    evaluate = with_objective(BacktestEvaluator(dataset, chosen), objective or Objective())
    return evaluate, str(dataset.fingerprint), ",".join(dataset.names)


def with_objective(evaluate: Any, objective: Objective) -> Any:
    """The evaluator optimising `objective` (a stand-in evaluator, as in tests, is returned as is).
    BadInputError when the training windows cannot hold the inner folds."""
    if not isinstance(evaluate, BacktestEvaluator):
        return evaluate
    objective = objective.fitted(evaluate.dataset.n_windows)
    if objective.folds > 0:
        try:
            inner_blocks(evaluate.dataset.n_windows, objective.folds, objective.purge)
        except ValueError as exc:
            raise BadInputError(f"--folds {objective.folds}: {exc}; pass --folds 0 to evolve without inner "
                                "validation") from None
    return replace(evaluate, objective=objective)
