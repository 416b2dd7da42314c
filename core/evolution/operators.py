"""Variation and selection operators with an explicit random.Random.

They follow the semantics of DEAP's `tools.cxBlend`, `tools.mutGaussian` and `tools.selTournament`
(same formulas, same order of draws; a test checks them against DEAP), but draw from the run's own
generator instead of the process-wide `random` module. That keeps a run reproducible while other
threads (the console, a second run) use `random`, and makes the generator state ours to checkpoint.
Genomes are tuples of floats in [0, 1]; every child is clipped back into that box.
"""
from __future__ import annotations

import random
from typing import Sequence

Genes = tuple[float, ...]


def clip_unit(values: Sequence[float]) -> Genes:
    """Clamp every gene into [0, 1] (the genome's domain); out-of-box children are never evaluated."""
    return tuple(0.0 if v < 0.0 else 1.0 if v > 1.0 else float(v) for v in values)


def blend_crossover(rng: random.Random, first: Genes, second: Genes, alpha: float) -> tuple[list[float], list[float]]:
    """BLX-alpha: per gene, a point on the line through both parents, up to `alpha` beyond them.

    Returns both (unclipped) children; one uniform draw per gene, as DEAP does.
    """
    child_a, child_b = [], []
    for x, y in zip(first, second):
        gamma = (1.0 + 2.0 * alpha) * rng.random() - alpha
        child_a.append((1.0 - gamma) * x + gamma * y)
        child_b.append(gamma * x + (1.0 - gamma) * y)
    return child_a, child_b


def gaussian_mutation(rng: random.Random, genes: Genes, sigma: float, gene_prob: float) -> list[float]:
    """Add N(0, sigma) to each gene with probability `gene_prob` (unclipped result)."""
    out = list(genes)
    for i in range(len(out)):
        if rng.random() < gene_prob:
            out[i] += rng.gauss(0.0, sigma)
    return out


def tournament_pick(rng: random.Random, fitness: Sequence[float], tournament_size: int) -> int:
    """Index of the fittest of `tournament_size` uniformly drawn aspirants (first one wins ties)."""
    n = len(fitness)
    best = _choice_index(rng, n)
    for _ in range(tournament_size - 1):
        i = _choice_index(rng, n)
        if fitness[i] > fitness[best]:
            best = i
    return best


def _choice_index(rng: random.Random, n: int) -> int:
    # random.choice(seq) is seq[self._randbelow(len(seq))]; going through choice on a range keeps
    # the draw identical to DEAP's selRandom without building a list per pick.
    return rng.choice(range(n))


def best_indices(fitness: Sequence[float], count: int) -> list[int]:
    """Indices of the `count` fittest, ties broken by position (stable), so truncation is deterministic."""
    order = sorted(range(len(fitness)), key=lambda i: -fitness[i])
    return order[:count]
