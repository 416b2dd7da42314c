"""The evolution loop itself: operators, elitism, clipping, evaluation batching, cancel."""
from __future__ import annotations

import random
import threading

import numpy as np
import pytest

from core.errors import BadInputError
from core.evolution import (EvaluatorContractError, EvolutionConfig, EvolutionState, GenerationReport, HallOfFame,
                            evolve)
from core.evolution.operators import blend_crossover, clip_unit, gaussian_mutation, tournament_pick
from core.genome import N_GENES
from tests.support.evolution_rig import TARGET, TOY_FINGERPRINT, CountingEvaluator, sphere_fitness


def run_in_memory(config: EvolutionConfig, evaluate=sphere_fitness, should_stop=None, state=None):
    state = state or EvolutionState.fresh(config, TOY_FINGERPRINT)
    records, reports = [], []
    done = evolve(state, evaluate, lambda st, stats: records.append(stats),
                  on_progress=reports.append, should_stop=should_stop)
    return state, records, reports, done


def test_operators_draw_like_deaps_tools():
    """Same seed, same numbers as DEAP's cxBlend / mutGaussian / selTournament on the global random."""
    from deap import tools

    class Ind(list):
        pass

    a, b = [0.1 * i % 1 for i in range(N_GENES)], [0.37 * i % 1 for i in range(N_GENES)]
    random.seed(11)
    x, y = Ind(a), Ind(b)
    tools.cxBlend(x, y, 0.3)
    m = Ind(a)
    tools.mutGaussian(m, 0.0, 0.1, 0.2)

    class Scored:
        def __init__(self, i, f):
            self.i, self.fitness = i, f

    fits = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    picks = [s.i for s in tools.selTournament([Scored(i, f) for i, f in enumerate(fits)], 5, 3)]

    rng = random.Random(11)
    ca, cb = blend_crossover(rng, tuple(a), tuple(b), 0.3)
    mm = gaussian_mutation(rng, tuple(a), 0.1, 0.2)
    ours = [tournament_pick(rng, fits, 3) for _ in range(5)]
    assert (ca, cb, mm, ours) == (list(x), list(y), list(m), picks)


def test_children_are_clipped_into_the_unit_box():
    assert clip_unit([-0.5, 0.25, 1.7]) == (0.0, 0.25, 1.0)
    cfg = EvolutionConfig(fitness="dn", population_size=10, generations=15, mutation_sigma=1.0, mutation_gene_prob=1.0,
                          blend_alpha=1.0, seed=3)
    seen = CountingEvaluator()
    run_in_memory(cfg, seen)
    genes = np.concatenate(seen.batches)
    assert genes.min() >= 0.0 and genes.max() <= 1.0
    assert (genes == 0.0).any() and (genes == 1.0).any()  # sigma 1 must have hit the walls


def test_best_fitness_never_worsens_with_mu_plus_lambda():
    cfg = EvolutionConfig(fitness="dn", population_size=12, generations=40, seed=5)
    state, records, _, done = run_in_memory(cfg)
    bests = [r.best for r in records]
    assert done and len(records) == 41
    assert all(later >= earlier for earlier, later in zip(bests, bests[1:]))
    assert bests[-1] > bests[0]
    assert state.hall_of_fame[0].fitness == max(bests)


def test_each_generation_makes_one_evaluator_call_with_every_new_child():
    cfg = EvolutionConfig(fitness="dn", population_size=10, generations=6, offspring_size=14, seed=9)
    seen = CountingEvaluator()
    _, records, _, _ = run_in_memory(cfg, seen)
    assert len(seen.batches) == 7  # gen 0 and six more, one call each
    assert seen.batches[0].shape == (10, N_GENES)
    for batch, rec in zip(seen.batches, records):
        assert batch.dtype == np.float64 and batch.shape == (rec.evaluations, N_GENES)
    # copies keep their fitness: some generations evaluate fewer than lambda children
    assert all(0 < r.evaluations <= 14 for r in records[1:])
    assert sum(r.evaluations for r in records[1:]) < 6 * 14


def test_hall_of_fame_keeps_the_best_distinct_genomes_in_order():
    hof = HallOfFame(3)
    g = [tuple([v] * N_GENES) for v in (0.1, 0.2, 0.3, 0.4)]
    hof.update([g[0], g[1], g[1], g[2], g[3]], [1.0, 5.0, 5.0, 3.0, 0.5])
    assert [(c.genes[0], c.fitness) for c in hof.champions] == [(0.2, 5.0), (0.3, 3.0), (0.1, 1.0)]


def test_progress_reports_each_generation_with_eta():
    cfg = EvolutionConfig(fitness="dn", population_size=6, generations=4, seed=1)
    _, records, reports, _ = run_in_memory(cfg)
    assert [r.generation for r in reports] == [0, 1, 2, 3, 4]
    assert all(isinstance(r, GenerationReport) and r.generations_total == 4 for r in reports)
    assert reports[-1].eta_s == 0.0 and reports[-1].best == records[-1].best
    with pytest.raises(AttributeError):
        reports[0].best = 1.0  # frozen


def test_cancel_stops_at_a_generation_boundary():
    cfg = EvolutionConfig(fitness="dn", population_size=6, generations=10, seed=1)
    calls = []
    state, records, _, done = run_in_memory(cfg, should_stop=lambda: len(calls.append(1) or calls) > 3)
    assert not done and state.generation == 2 and len(records) == 3


def test_a_threading_event_cancels_too():
    cfg = EvolutionConfig(fitness="dn", population_size=6, generations=10, seed=1)
    stop = threading.Event()
    state = EvolutionState.fresh(cfg, TOY_FINGERPRINT)
    done = evolve(state, sphere_fitness, lambda st, stats: None,
                  on_progress=lambda rep: rep.generation == 4 and stop.set(), should_stop=stop)
    assert not done and state.generation == 4


def test_evaluator_breaking_its_contract_is_reported():
    cfg = EvolutionConfig(fitness="dn", population_size=4, generations=1)
    with pytest.raises(EvaluatorContractError, match="shape"):
        run_in_memory(cfg, lambda g: np.zeros(len(g) + 1))
    with pytest.raises(EvaluatorContractError, match="nan"):
        run_in_memory(cfg, lambda g: np.full(len(g), np.nan))


def test_config_is_validated_and_lambda_defaults_to_mu():
    assert EvolutionConfig(fitness="dn", population_size=8).offspring_size == 8
    for bad in ({"population_size": 1}, {"crossover_prob": 0.8, "mutation_prob": 0.5},
                {"mutation_sigma": 0.0}, {"generations": -1}, {"seed": 1.5}):
        with pytest.raises(BadInputError):
            EvolutionConfig(**bad)


def test_it_converges_towards_the_target():
    cfg = EvolutionConfig(fitness="dn", population_size=30, generations=60, seed=2)
    state, *_ = run_in_memory(cfg)
    assert np.abs(np.array(state.hall_of_fame[0].genes) - TARGET).max() < 0.1
