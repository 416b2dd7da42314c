"""The evolution's guards: exposure-neutral fitness, purged inner folds with selection on a held-back
block, and NSGA-II over return and drawdown, all resumable bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from core.backtest.enums import M_MAXDD, M_PF, M_RETURN, M_SCORE, M_SHARPE, M_TRADES, M_WINRATE, N_METRICS
from core.evolution import EvolutionConfig, EvolutionState, evolve
from core.evolution.checkpoint import decode_checkpoint, encode_checkpoint
from core.evolution.objective import Objective, inner_blocks, neutral_scores
from core.evolution.pareto import crowded_keys, first_front, nsga2_survivors


def _metrics(sharpe, ret, dd, win=0.5, pf=1.5, trades=10.0):
    m = np.zeros(N_METRICS)
    m[M_SHARPE], m[M_RETURN], m[M_MAXDD], m[M_WINRATE], m[M_PF], m[M_TRADES] = sharpe, ret, dd, win, pf, trades
    m[M_SCORE] = 0.4 * sharpe + 0.3 * (1 - dd) + 0.2 * win + 0.1 * min(pf, 3)
    return m


def test_holding_a_tenth_as_much_raises_the_design_note_score_but_not_the_neutral_one():
    full = _metrics(1.2, 0.30, 0.20)
    tenth = _metrics(1.2, 0.03, 0.02)  # same trades at a tenth of the size: Sharpe, win rate, PF unchanged
    both = np.stack([full, tenth])[:, None, :]
    assert both[1, 0, M_SCORE] > both[0, 0, M_SCORE]  # dn pays for the smaller drawdown
    neutral = neutral_scores(both)
    assert neutral[0, 0] == pytest.approx(neutral[1, 0], abs=1e-12)


def test_a_window_without_trades_scores_zero_in_the_neutral_fitness():
    assert neutral_scores(np.zeros((1, 1, N_METRICS)))[0, 0] == 0.0


def test_inner_folds_are_purged_and_never_touch_the_validation_block():
    folds, val = inner_blocks(42, 3, 3)
    assert val.tolist() == list(range(31, 42))  # the last 25% of training windows
    blocks = folds + [val]
    for a, b in zip(blocks, blocks[1:]):
        assert b[0] - a[-1] - 1 == 3  # three windows dropped at every boundary
    assert sum(len(f) for f in folds) == 42 - 11 - 3 * 3
    with pytest.raises(ValueError, match="too few"):
        inner_blocks(10, 4, 3)


def test_fold_fitness_is_the_mean_minus_the_dispersion_penalty():
    rng = np.random.default_rng(0)
    metrics = np.stack([np.stack([_metrics(*rng.random(3) * [2, 0.5, 0.3]) for _ in range(42)]) for _ in range(3)])
    regimes = np.zeros(42, dtype=np.int64)
    folds, _ = inner_blocks(42, 3, 3)
    obj = Objective("dn", 3, 0.5, 3)
    per_fold = np.stack([metrics[:, f, M_SCORE].mean(axis=1) for f in folds], axis=1)
    expected = per_fold.mean(axis=1) - 0.5 * per_fold.std(axis=1)
    assert np.allclose(obj.from_metrics(metrics, regimes), expected, atol=1e-12)
    val = obj.validation_from_metrics(metrics, regimes)
    assert np.allclose(val, metrics[:, 31:, M_SCORE].mean(axis=1), atol=1e-12)
    assert Objective().validation_from_metrics(metrics, regimes) is None


def test_nsga2_keeps_the_pareto_front_and_prefers_it_in_tournaments():
    objectives = [(0.3, -0.2), (0.1, -0.05), (0.2, -0.3), (0.05, -0.04), (0.3, -0.25)]
    assert first_front(objectives) == [0, 1, 3]  # 2 and 4 are dominated by 0
    assert set(nsga2_survivors(objectives, 3)) == {0, 1, 3}
    keys = crowded_keys(objectives)
    assert min(keys[i] for i in (0, 1, 3)) > max(keys[i] for i in (2, 4))


def _two_objective_evaluator(genes):
    """Return grows with gene 0, drawdown with gene 0 and gene 1: a known front along gene 1 = 0."""
    ret = genes[:, 0]
    dd = 0.5 * genes[:, 0] + genes[:, 1]
    return np.stack([ret - dd, ret, -dd], axis=1)


def test_an_nsga2_run_resumes_bit_identically_from_any_checkpoint():
    cfg = EvolutionConfig(population_size=8, generations=6, seed=3, fitness="nsga2")
    saved = {}

    def commit(state, stats):
        saved[state.generation] = encode_checkpoint(state)

    full = EvolutionState.fresh(cfg, "fp")
    assert evolve(full, _two_objective_evaluator, commit)
    final_text = saved[6][0]
    resumed = decode_checkpoint(*saved[3], "test")
    assert len(resumed.objectives) == 8
    evolve(resumed, _two_objective_evaluator, lambda s, st: None)
    assert encode_checkpoint(resumed)[0] == final_text
    # selection pushed the population towards gene 1 = 0 (the front)
    assert np.mean([g[1] for g in full.population]) < 0.3


def test_nsga2_refuses_an_evaluator_that_returns_one_column():
    """NSGA-II (the default) selects on objectives: a scalar evaluator is a contract error, not a
    silent fall back to scalar selection."""
    from core.evolution import EvaluatorContractError

    state = EvolutionState.fresh(EvolutionConfig(population_size=4, generations=1), "fp")
    with pytest.raises(EvaluatorContractError, match="fitness nsga2 needs"):
        evolve(state, lambda g: -np.sum(g ** 2, axis=1), lambda s, st: None)


def test_distinct_trials_count_new_genomes_only():
    cfg = EvolutionConfig(fitness="dn", population_size=6, generations=3, seed=1)
    state = EvolutionState.fresh(cfg, "fp")
    evolve(state, lambda g: -np.sum((g - 0.5) ** 2, axis=1), lambda s, st: None)
    assert cfg.population_size <= state.distinct_evaluated <= state.evaluations_total


def test_stored_configs_without_the_new_fields_mean_the_design_note_fitness():
    old = EvolutionConfig().to_dict()
    for key in ("fitness", "folds", "dispersion_penalty", "purge_windows"):
        old.pop(key)
    cfg = EvolutionConfig.from_dict(old)
    assert cfg.fitness == "dn" and cfg.folds == 0


def test_the_returned_genome_is_the_best_on_the_validation_block_not_the_training_best(daily_dir):
    from core.evolution.evaluator import make_evaluator

    evaluate, _, _ = make_evaluator([daily_dir / f"{a}.csv" for a in ("BTC", "ETH", "XRP")],
                                    objective=Objective("neutral", 2, 0.5, 3))
    cfg = EvolutionConfig(population_size=10, generations=3, seed=4, fitness="neutral", folds=2)
    state = EvolutionState.fresh(cfg, "fp")
    evolve(state, evaluate, lambda s, st: None)
    chosen = evaluate.choose(state)
    assert {c.genes for c in chosen} == {c.genes for c in state.hall_of_fame}
    val = evaluate.validation(np.array([c.genes for c in chosen]))
    assert list(val) == sorted(val, reverse=True)  # ranked on validation ...
    assert [c.fitness for c in chosen] != [c.fitness for c in state.hall_of_fame] or len(chosen) == 1  # ... not training


def test_auto_folds_use_two_folds_when_the_training_windows_hold_them_and_none_otherwise():
    auto = EvolutionConfig().objective()
    assert auto.folds == -1
    assert auto.fitted(42).folds == 2 and auto.fitted(8).folds == 0
    assert Objective("dn", 3).fitted(8).folds == 3  # an explicit choice is never changed (make_evaluator refuses it)
