"""The evolution state and its JSON checkpoint format (never pickle: a checkpoint must be readable,
diffable and safe to load from a file someone else wrote).

A checkpoint holds everything the next generation depends on: population, fitnesses, hall of
fame, both RNG states, the generation number, the config and the data fingerprint. Loading is
strict: anything malformed is refused with one line naming what is wrong, never half-restored.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import BadInputError
from core.evolution.config import EvolutionConfig
from core.evolution.hall_of_fame import Champion
from core.evolution.operators import Genes
from core.genome import N_GENES

CHECKPOINT_FORMAT = "evorisk.evolution.checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(BadInputError):
    """A stored checkpoint is truncated, tampered with, or of a version we do not read."""


@dataclass
class EvolutionState:
    """The loop's whole memory after a completed generation; mutated in place by the loop."""

    config: EvolutionConfig
    data_fingerprint: str
    rng: random.Random
    np_rng: np.random.Generator
    generation: int = -1  # last completed generation; -1 before the initial population exists
    population: list[Genes] = field(default_factory=list)
    fitness: list[float] = field(default_factory=list)
    hall_of_fame: list[Champion] = field(default_factory=list)
    evaluations_total: int = 0
    # distinct genomes ever evaluated: the trial count of the deflated Sharpe ratio (a child equal
    # to a member of the population it was bred from, e.g. a mutant with no gene perturbed, is
    # evaluated again but is no new trial)
    distinct_evaluated: int = 0
    objectives: list[tuple[float, ...]] = field(default_factory=list)  # NSGA-II only, parallel to population

    @classmethod
    def fresh(cls, config: EvolutionConfig, data_fingerprint: str) -> "EvolutionState":
        return cls(config=config, data_fingerprint=data_fingerprint, rng=random.Random(config.seed),
                   np_rng=np.random.default_rng(config.seed))


def encode_checkpoint(state: EvolutionState) -> tuple[str, str]:
    """(JSON text, its sha256). Floats go through repr, so they round-trip exactly."""
    version, internal, gauss_next = state.rng.getstate()
    doc = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "generation": state.generation,
        "config": state.config.to_dict(),
        "data_fingerprint": state.data_fingerprint,
        "population": [[float(g) for g in genes] for genes in state.population],
        "fitness": [float(f) for f in state.fitness],
        "hall_of_fame": [{"genes": list(c.genes), "fitness": c.fitness} for c in state.hall_of_fame],
        "evaluations_total": state.evaluations_total,
        "distinct_evaluated": state.distinct_evaluated,
        "objectives": [[float(x) for x in o] for o in state.objectives],
        "random_state": [version, list(internal), gauss_next],
        "numpy_state": state.np_rng.bit_generator.state,
    }
    text = json.dumps(doc, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return text, sha256_text(text)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def decode_checkpoint(text: str, expected_sha256: str | None, where: str) -> EvolutionState:
    """Rebuild the state or raise CheckpointError("<where>: <what is wrong>")."""
    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"{where}: refusing a corrupt checkpoint: {what}")

    if expected_sha256 is not None and sha256_text(text) != expected_sha256:
        raise bad("sha256 does not match (truncated or modified)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"invalid JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(doc, dict) or doc.get("format") != CHECKPOINT_FORMAT:
        raise bad("not an evorisk evolution checkpoint")
    if doc.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{where}: checkpoint version {doc.get('version')!r} is not supported "
                              f"(this evorisk reads version {CHECKPOINT_VERSION})")
    try:
        config = EvolutionConfig.from_dict(doc["config"])
        state = EvolutionState.fresh(config, _text(doc["data_fingerprint"]))
        state.generation = _int(doc["generation"])
        state.population = [_genes(g) for g in doc["population"]]
        state.fitness = [_finite(f) for f in doc["fitness"]]
        state.hall_of_fame = [Champion(_genes(c["genes"]), _finite(c["fitness"])) for c in doc["hall_of_fame"]]
        state.evaluations_total = _int(doc["evaluations_total"])
        # checkpoints written before the count existed: every evaluation counted as a trial
        state.distinct_evaluated = _int(doc.get("distinct_evaluated", state.evaluations_total))
        state.objectives = [tuple(_finite(x) for x in o) for o in doc.get("objectives", [])]
        rv, internal, gauss_next = doc["random_state"]
        state.rng.setstate((rv, tuple(_int(x) for x in internal),
                            None if gauss_next is None else _finite(gauss_next)))
        state.np_rng.bit_generator.state = doc["numpy_state"]
    except (KeyError, TypeError, ValueError, BadInputError) as exc:
        raise bad(f"{type(exc).__name__}: {exc}") from None
    if state.generation < 0 or len(state.population) != config.population_size:
        raise bad(f"population of {len(state.population)} at generation {state.generation}, "
                  f"config says {config.population_size}")
    if len(state.fitness) != len(state.population):
        raise bad("fitness count differs from population size")
    if state.objectives and len(state.objectives) != len(state.population):
        raise bad("objective count differs from population size")
    if len(state.hall_of_fame) > config.hall_of_fame_size:
        raise bad("hall of fame larger than configured")
    return state


def _int(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"expected an integer, got {x!r}")
    return x


def _text(x: Any) -> str:
    if not isinstance(x, str):
        raise TypeError(f"expected a string, got {x!r}")
    return x


def _finite(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {x!r}")
    return float(x)


def _genes(values: Any) -> Genes:
    if not isinstance(values, list) or len(values) != N_GENES:
        raise ValueError(f"a genome must be a list of {N_GENES} numbers")
    genes = tuple(_finite(v) for v in values)
    if any(not 0.0 <= g <= 1.0 for g in genes):
        raise ValueError("a gene lies outside [0, 1]")
    return genes
