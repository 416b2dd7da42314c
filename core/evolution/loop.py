"""The evolution loop: an elitist (mu + lambda) GA written around per-generation checkpoints.

Shaped like DEAP's `eaMuPlusLambda` (breed lambda children with crossover OR mutation OR copy,
evaluate only the children without a fitness, update the hall of fame, keep mu survivors, one
statistics record per generation) but owned here so that after every generation the state is
handed to `commit` (one SQLite transaction), progress goes to a callback instead of print, and a
cancel request is honoured at the generation boundary. Parents are chosen by tournament;
survivors are the best mu of parents + children, so the best fitness never gets worse.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Callable, Protocol

import numpy as np

from core.evolution.checkpoint import EvolutionState
from core.evolution.hall_of_fame import HallOfFame
from core.evolution.pareto import crowded_keys, nsga2_survivors
from core.evolution.operators import (Genes, best_indices, blend_crossover, clip_unit, gaussian_mutation,
                                      tournament_pick)
from core.genome import N_GENES

log = logging.getLogger(__name__)

Evaluator = Callable[[np.ndarray], np.ndarray]
"""Fitness of a whole batch: genes (P, 22) float64 -> (P,) float64, higher is better, finite; or
(P, 1 + m): the scalar fitness, then m objectives (NSGA-II), all maximised."""
Objectives = tuple[float, ...]


class EvaluatorContractError(RuntimeError):
    """The evaluator returned the wrong shape or a non-finite fitness (a bug, not bad input)."""


@dataclass(frozen=True)
class GenerationStats:
    """One logbook record. Only the first six fields are deterministic; timings are not."""

    generation: int
    best: float
    mean: float
    std: float
    min: float
    evaluations: int
    eval_s: float
    evals_per_s: float

    def deterministic(self) -> dict[str, float | int]:
        """The fields a resumed run must reproduce bit for bit (wall-clock timings excluded)."""
        d = asdict(self)
        del d["eval_s"], d["evals_per_s"]
        return d


@dataclass(frozen=True)
class GenerationReport:
    """What a progress display needs after each generation."""

    run_id: int | None
    generation: int
    generations_total: int
    best: float
    mean: float
    std: float
    min: float
    evaluations: int
    evals_per_s: float
    elapsed_s: float
    eta_s: float
    best_genes: Genes


class GenerationSink(Protocol):
    def __call__(self, state: EvolutionState, stats: GenerationStats) -> None:
        """Persist the completed generation atomically; raising stops the run."""


def evolve(state: EvolutionState, evaluate: Evaluator, commit: GenerationSink, *,
           run_id: int | None = None, on_progress: Callable[[GenerationReport], None] | None = None,
           should_stop: Callable[[], bool] | threading.Event | None = None) -> bool:
    """Advance `state` to its config's last generation; returns False when cancelled on the way.

    `state` is either fresh (generation -1) or restored from a checkpoint; both paths run the
    same code from the next generation on, which is what makes a resume bit-identical.
    `should_stop` (a callable or a threading.Event) is consulted before each generation only, so a
    cancel always leaves a complete, checkpointed generation behind.
    """
    if isinstance(should_stop, threading.Event):
        should_stop = should_stop.is_set
    cfg = state.config
    hof = HallOfFame(cfg.hall_of_fame_size, state.hall_of_fame)
    started = time.perf_counter()
    done_here = 0
    while state.generation < cfg.generations:
        if should_stop is not None and should_stop():
            log.info("run %s: cancelled after generation %d", run_id, state.generation)
            return False
        gen = state.generation + 1
        children, child_fit, child_obj = _first_population(state) if gen == 0 else _breed(state)
        n_new = _count_new(children, child_fit, state.population)
        n_evals, eval_s = _evaluate_missing(evaluate, children, child_fit, child_obj)
        fitness = [float(f) for f in child_fit]  # every child has a fitness now
        objectives = _objectives_of(cfg.fitness, children, child_obj)
        hof.update(children, fitness)
        _select(state, gen, children, fitness, objectives)
        state.hall_of_fame = hof.champions
        state.evaluations_total += n_evals
        state.distinct_evaluated += n_new
        state.generation = gen
        stats = _stats(gen, state.fitness, n_evals, eval_s)
        commit(state, stats)
        log.debug("run %s: generation %d best %.6f mean %.6f evals %d", run_id, gen, stats.best, stats.mean,
                  n_evals)
        done_here += 1
        if on_progress is not None:
            elapsed_s = time.perf_counter() - started
            eta_s = elapsed_s / done_here * (cfg.generations - gen)
            on_progress(GenerationReport(run_id, gen, cfg.generations, stats.best, stats.mean, stats.std,
                                         stats.min, n_evals, stats.evals_per_s, elapsed_s, eta_s,
                                         hof.champions[0].genes))
    return True


def _first_population(state: EvolutionState) -> tuple[list[Genes], list[float | None], list[Objectives | None]]:
    """Generation 0: population_size uniform random genomes, none evaluated yet."""
    start = state.np_rng.random((state.config.population_size, N_GENES))
    children: list[Genes] = [tuple(float(g) for g in row) for row in start]
    return children, [None] * len(children), [None] * len(children)


def _objectives_of(fitness_kind: str, children: list[Genes], child_obj: list[Objectives | None]) -> list[Objectives]:
    """The children's objectives ([] for a scalar fitness); NSGA-II needs one per child."""
    objectives = [o for o in child_obj if o is not None]
    if fitness_kind == "nsga2" and len(objectives) != len(children):
        raise EvaluatorContractError("fitness nsga2 needs (n, 1 + m) columns from the evaluator (scalar, "
                                     "then the objectives); this one returned one column: use fitness dn")
    return objectives


def _select(state: EvolutionState, gen: int, children: list[Genes], fitness: list[float],
            objectives: list[Objectives]) -> None:
    """The next population: generation 0 as drawn; later (mu + lambda) survivors of parents and children."""
    if gen == 0:
        state.population, state.fitness, state.objectives = children, fitness, objectives
        return
    pool, pool_fit = state.population + children, state.fitness + fitness
    pool_obj = state.objectives + objectives
    if state.config.fitness == "nsga2":
        keep = nsga2_survivors(pool_obj, state.config.population_size)
    else:
        keep = best_indices(pool_fit, state.config.population_size)
    state.population = [pool[i] for i in keep]
    state.fitness = [pool_fit[i] for i in keep]
    state.objectives = [pool_obj[i] for i in keep] if pool_obj else []


def _breed(state: EvolutionState) -> tuple[list[Genes], list[float | None], list[Objectives | None]]:
    """lambda children, each from crossover OR mutation OR a plain copy (which keeps its fitness).
    Tournaments compare fitness, or under NSGA-II the crowded comparison (front, then crowding)."""
    cfg, rng = state.config, state.rng
    fit: list = crowded_keys(state.objectives) if cfg.fitness == "nsga2" else state.fitness
    children: list[Genes] = []
    child_fit: list[float | None] = []
    child_obj: list[Objectives | None] = []
    for _ in range(cfg.offspring_size):
        op = rng.random()
        if op < cfg.crossover_prob:
            a = state.population[tournament_pick(rng, fit, cfg.tournament_size)]
            b = state.population[tournament_pick(rng, fit, cfg.tournament_size)]
            first, _second = blend_crossover(rng, a, b, cfg.blend_alpha)
            children.append(clip_unit(first))
            child_fit.append(None)
            child_obj.append(None)
        elif op < cfg.crossover_prob + cfg.mutation_prob:
            parent = state.population[tournament_pick(rng, fit, cfg.tournament_size)]
            children.append(clip_unit(gaussian_mutation(rng, parent, cfg.mutation_sigma, cfg.mutation_gene_prob)))
            child_fit.append(None)
            child_obj.append(None)
        else:
            i = tournament_pick(rng, fit, cfg.tournament_size)
            children.append(state.population[i])
            child_fit.append(state.fitness[i])
            child_obj.append(state.objectives[i] if state.objectives else None)
    return children, child_fit, child_obj


def _count_new(children: list[Genes], fitness: list[float | None], population: list[Genes]) -> int:
    """Children about to be evaluated that are neither in the parent population nor repeated in
    the batch. A bred child can only equal a genome the run saw before by equalling one of its
    parents (float genes), and parents are all in the population, so this counts distinct trials."""
    seen = set(population)
    new = 0
    for genes, f in zip(children, fitness):
        if f is None and genes not in seen:
            seen.add(genes)
            new += 1
    return new


def _evaluate_missing(evaluate: Evaluator, genes: list[Genes], fitness: list[float | None],
                      objectives: list[Objectives | None]) -> tuple[int, float]:
    """One evaluator call for every child without a fitness; fills `fitness` in place, and
    `objectives` when the evaluator returns (n, 1 + m) columns (scalar first, then m objectives)."""
    todo = [i for i, f in enumerate(fitness) if f is None]
    if not todo:
        return 0, 0.0
    batch = np.array([genes[i] for i in todo], dtype=np.float64)
    t0 = time.perf_counter()
    out = np.asarray(evaluate(batch), dtype=np.float64)
    eval_s = time.perf_counter() - t0
    if out.shape[:1] != (len(todo),) or out.ndim > 2:
        raise EvaluatorContractError(f"evaluator returned shape {out.shape} for {len(todo)} genomes")
    if not np.all(np.isfinite(out)):
        bad = int(np.flatnonzero(~np.isfinite(out.reshape(len(todo), -1)).any(axis=1))[0])
        raise EvaluatorContractError(f"evaluator returned {out[bad]} for genome {list(batch[bad])}")
    for i, row in zip(todo, out.tolist()):
        if isinstance(row, list):
            fitness[i] = row[0]
            objectives[i] = tuple(row[1:])
        else:
            fitness[i] = row
    return len(todo), eval_s


def _stats(gen: int, fitness: list[float], n_evals: int, eval_s: float) -> GenerationStats:
    f = np.array(fitness, dtype=np.float64)
    rate = n_evals / eval_s if eval_s > 0 else 0.0
    return GenerationStats(gen, float(f.max()), float(f.mean()), float(f.std()), float(f.min()),
                           n_evals, eval_s, rate)
