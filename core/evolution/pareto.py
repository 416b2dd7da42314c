"""NSGA-II selection (DEAP's selNSGA2) over a population's objective vectors, by index.

DEAP works on individuals with a `fitness` attribute; these helpers wrap plain tuples of
objectives (all maximised) in throw-away individuals and hand back indices, so the loop keeps its
own plain-list state and checkpoints. Nothing here draws random numbers: selNSGA2's
non-dominated sort and crowding distance are deterministic for a given input order.
"""
from __future__ import annotations

from typing import Sequence

from deap import base, tools


class _Fitness(base.Fitness):
    weights = (1.0, 1.0)  # mean return, -mean max drawdown: both maximised


class _Ind:
    __slots__ = ("fitness", "index")

    def __init__(self, index: int, values: Sequence[float]):
        self.index = index
        self.fitness = _Fitness(tuple(values))


def _wrap(objectives: Sequence[Sequence[float]]) -> list[_Ind]:
    return [_Ind(i, v) for i, v in enumerate(objectives)]


def nsga2_survivors(objectives: Sequence[Sequence[float]], count: int) -> list[int]:
    """Indices of the `count` survivors NSGA-II keeps (fronts first, then crowding distance)."""
    return [ind.index for ind in tools.selNSGA2(_wrap(objectives), count)]


def crowded_keys(objectives: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """(-front rank, crowding distance) per individual: larger is better in a tournament, the
    crowded-comparison operator of NSGA-II."""
    inds = _wrap(objectives)
    keys: list[tuple[float, float]] = [(0.0, 0.0)] * len(inds)
    for rank, front in enumerate(tools.sortNondominated(inds, len(inds))):
        tools.emo.assignCrowdingDist(front)
        for ind in front:
            keys[ind.index] = (-float(rank), float(ind.fitness.crowding_dist))
    return keys


def first_front(objectives: Sequence[Sequence[float]]) -> list[int]:
    """Indices of the non-dominated individuals, in input order."""
    if not objectives:
        return []
    front = tools.sortNondominated(_wrap(objectives), len(objectives), first_front_only=True)[0]
    return sorted(ind.index for ind in front)
