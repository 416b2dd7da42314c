"""Shared pieces for the evolution tests (no tests here): cheap deterministic evaluators and the
entry point of the child process that the kill -9 test runs and kills."""
from __future__ import annotations

import sys
import time

import numpy as np

from core.genome import N_GENES

TARGET = np.linspace(0.05, 0.95, N_GENES)  # a known optimum inside the unit box
TOY_FINGERPRINT = "toy-data-fingerprint"


def sphere_fitness(genes: np.ndarray) -> np.ndarray:
    """Negative squared distance to TARGET: deterministic, cheap, maximum 0 at TARGET."""
    return -np.sum((genes - TARGET) ** 2, axis=1)


class CountingEvaluator:
    """Records every batch it is given, so tests can see exactly what the loop evaluated."""

    def __init__(self, fn=sphere_fitness):
        self.fn = fn
        self.batches: list[np.ndarray] = []

    def __call__(self, genes: np.ndarray) -> np.ndarray:
        self.batches.append(genes.copy())
        return self.fn(genes)


def child_main() -> None:
    """argv: DB RUN_ID SLEEP_S. Advances the run with a slowed-down sphere evaluator."""
    from core.evolution import execute_run
    from storage import Store
    from storage.evolution_repo import EvolutionRepo

    db, run_id, sleep_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])

    def slow(genes: np.ndarray) -> np.ndarray:
        time.sleep(sleep_s)
        return sphere_fitness(genes)

    execute_run(EvolutionRepo(Store(db)), run_id, slow, TOY_FINGERPRINT)
