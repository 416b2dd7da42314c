"""The best distinct genomes seen over a whole run, in a deterministic order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from core.evolution.operators import Genes


@dataclass(frozen=True)
class Champion:
    genes: Genes
    fitness: float


class HallOfFame:
    """Keeps the `capacity` fittest distinct gene vectors, best first.

    Unlike the population it never forgets: an elite lost to a later bad tournament still ends up
    in the report. Equal fitness keeps the earlier entrant first, so the order is reproducible.
    """

    def __init__(self, capacity: int, champions: Iterable[Champion] = ()):
        self.capacity = capacity
        self._items: list[Champion] = list(champions)[:capacity]

    def update(self, genes: Iterable[Genes], fitness: Iterable[float]) -> None:
        for g, f in zip(genes, fitness):
            self._offer(Champion(tuple(g), float(f)))

    def _offer(self, cand: Champion) -> None:
        full = len(self._items) >= self.capacity
        if full and cand.fitness <= self._items[-1].fitness:
            return
        if any(c.genes == cand.genes for c in self._items):
            return
        pos = len(self._items)
        while pos > 0 and self._items[pos - 1].fitness < cand.fitness:
            pos -= 1
        self._items.insert(pos, cand)
        del self._items[self.capacity:]

    @property
    def champions(self) -> list[Champion]:
        return list(self._items)

    def best(self) -> Champion | None:
        return self._items[0] if self._items else None

    def __len__(self) -> int:
        return len(self._items)
