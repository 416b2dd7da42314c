"""The one frozen settings object of an evolution run.

Everything that changes the sequence of populations lives here, so "same config + same data
fingerprint" is exactly the condition under which a resume is bit-identical.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from core.errors import BadInputError
from core.evolution.objective import FITNESS_KINDS, Objective

# Defaults follow the design note's GA (population 50, 100 generations); the variation rates
# leave 10% of offspring as plain copies, which costs no evaluation.
DEFAULT_POPULATION = 50
DEFAULT_GENERATIONS = 100
# What a config stored before these fields existed meant: the design note's fitness, no inner
# validation. New runs default to what bench/bench_oos.py measured best out of sample.
LEGACY_OBJECTIVE = {"fitness": "dn", "folds": 0, "dispersion_penalty": 0.5, "purge_windows": 3}


@dataclass(frozen=True)
class EvolutionConfig:
    """Elitist (mu + lambda) GA settings; `offspring_size` 0 means "same as population_size"."""

    population_size: int = DEFAULT_POPULATION  # mu: survivors kept each generation
    generations: int = DEFAULT_GENERATIONS  # generations after the initial population (gen 0)
    offspring_size: int = 0  # lambda: children bred each generation (0 -> population_size)
    crossover_prob: float = 0.6  # cxpb: chance a child comes from blend crossover
    mutation_prob: float = 0.3  # mutpb: chance a child comes from Gaussian mutation
    blend_alpha: float = 0.3  # cxBlend alpha: how far past the parents a gene may land
    mutation_sigma: float = 0.1  # std of the Gaussian step, in gene units ([0, 1] scale)
    mutation_gene_prob: float = 0.2  # indpb: chance each gene of a mutant is perturbed
    tournament_size: int = 3  # aspirants per parent-selection tournament
    hall_of_fame_size: int = 10  # best distinct genomes remembered over the whole run
    seed: int = 0
    # Defaults measured out of sample (bench/bench_oos.py, bench/RESULTS.md, seeds 0-5 x 4 folds):
    # NSGA-II with 2 purged inner folds beat the best fixed stop at equal exposure in 7 of 24 runs
    # against 4 of 24 for the design note's fitness with the same folds, had the higher evolved
    # Sharpe on the same seed and fold by 0.18 on average, more same-rules wins (18 vs 15) and a
    # lower median PBO (0.29 vs 0.42). No mode beats the fixed stop in most runs. The design
    # note's fitness stays available by name: --fitness dn.
    fitness: str = "nsga2"  # dn | neutral | nsga2 (core.evolution.objective)
    # inner validation folds of the training windows; 0 = off; -1 = auto: AUTO_FOLDS when the
    # training windows hold them, else off (decided from the data, so a resume decides the same)
    folds: int = -1
    dispersion_penalty: float = 0.5  # fitness = mean over folds - this x their std
    purge_windows: int = 3  # windows dropped at each fold boundary (180-day windows every 45 days share bars)

    def __post_init__(self) -> None:
        if self.offspring_size == 0:
            object.__setattr__(self, "offspring_size", self.population_size)
        self._check()

    def _check(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise BadInputError(f"evolution config: {what}")

        for name in ("population_size", "generations", "offspring_size", "tournament_size",
                     "hall_of_fame_size", "seed", "folds", "purge_windows"):
            value = getattr(self, name)
            need(isinstance(value, int) and not isinstance(value, bool), f"{name} must be an integer")
        need(self.population_size >= 2, "population_size must be at least 2 (crossover needs two parents)")
        need(self.generations >= 0, "generations must be >= 0")
        need(self.offspring_size >= 1, "offspring_size must be >= 1")
        need(self.tournament_size >= 1, "tournament_size must be >= 1")
        need(self.hall_of_fame_size >= 1, "hall_of_fame_size must be >= 1")
        need(self.seed >= 0, "seed must be >= 0")
        need(self.fitness in FITNESS_KINDS, f"fitness must be one of {', '.join(FITNESS_KINDS)}, got {self.fitness!r}")
        need(-1 <= self.folds <= 10, "folds must be between 0 (off) and 10, or -1 (auto)")
        need(self.purge_windows >= 0, "purge_windows must be >= 0")
        need(0.0 <= float(self.dispersion_penalty) <= 10.0, "dispersion_penalty must be in [0, 10]")
        for name in ("crossover_prob", "mutation_prob", "mutation_gene_prob"):
            value = float(getattr(self, name))
            need(0.0 <= value <= 1.0, f"{name} must be in [0, 1], got {value}")
        need(self.crossover_prob + self.mutation_prob <= 1.0,
             "crossover_prob + mutation_prob must not exceed 1")
        need(0.0 <= self.blend_alpha <= 1.0, f"blend_alpha must be in [0, 1], got {self.blend_alpha}")
        need(0.0 < self.mutation_sigma <= 1.0, f"mutation_sigma must be in (0, 1], got {self.mutation_sigma}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvolutionConfig":
        """Rebuild from stored JSON; unknown or missing keys mean a config we cannot trust."""
        if not isinstance(data, dict):
            raise BadInputError("evolution config: expected a JSON object")
        names = {f.name for f in fields(cls)}
        data = {**{k: v for k, v in LEGACY_OBJECTIVE.items()}, **data}
        unknown = sorted(set(data) - names)
        missing = sorted(names - set(data))
        if unknown or missing:
            raise BadInputError(f"evolution config: unknown keys {unknown}, missing keys {missing}")
        return cls(**data)

    def objective(self):
        """The core.evolution.objective.Objective this config evolves with."""
        return Objective(self.fitness, self.folds, float(self.dispersion_penalty), self.purge_windows)

    def differences(self, other: "EvolutionConfig") -> list[str]:
        """`name: mine != theirs` for every differing field (for the resume refusal line)."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{k}: {mine[k]!r} != {theirs[k]!r}" for k in mine if mine[k] != theirs[k]]
