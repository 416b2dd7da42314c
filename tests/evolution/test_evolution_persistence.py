"""Runs in SQLite: a checkpoint per generation, bit-identical resume, and every refusal."""
from __future__ import annotations

import json
import os
import socket

import pytest

from core.errors import BadInputError
from core.evolution import (CHECKPOINT_VERSION, CheckpointError, EvolutionConfig, create_run, execute_run,
                            final_state_digest)
from storage import Store
from storage.evolution_repo import EvolutionRepo
from storage.migrations import MIGRATIONS
from tests.support.evolution_rig import TOY_FINGERPRINT, sphere_fitness

CFG = EvolutionConfig(fitness="dn", population_size=10, generations=12, seed=4)


def new_run(repo: EvolutionRepo, config: EvolutionConfig = CFG) -> int:
    return create_run(repo, config, TOY_FINGERPRINT, "toy", data_paths=["/data/a.csv"])


def stop_after(generation: int):
    """A cancel callable that asks to stop once `generation` is complete (it is asked before each)."""
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > generation + 1
    return should_stop


def test_migrations_add_generations_checkpoints_and_workers():
    store = Store(":memory:")
    names = [n for n, _ in MIGRATIONS]
    assert names.index("m101_generations") < names.index("m102_checkpoints") < names.index("m103_run_workers")
    assert {"generations", "checkpoints", "run_workers"} <= set(store.table_names())


def test_every_generation_writes_one_checkpoint_and_one_stats_row(evolution_repo):
    run_id = new_run(evolution_repo)
    out = execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)
    assert out.status == "finished" and out.generation == 12
    assert evolution_repo.checkpoint_generations(run_id) == list(range(13))
    rows = evolution_repo.generations(run_id)
    assert [r["generation"] for r in rows] == list(range(13))
    run = evolution_repo.get_run(run_id)
    assert run["status"] == "finished" and run["best_fitness"] == out.hall_of_fame[0].fitness == rows[-1]["best"]
    doc = json.loads(evolution_repo.latest_checkpoint(run_id).state_json)
    assert doc["version"] == CHECKPOINT_VERSION and doc["data_fingerprint"] == TOY_FINGERPRINT
    assert len(doc["population"]) == 10 and len(doc["fitness"]) == 10 and len(doc["hall_of_fame"]) == 10
    assert doc["config"] == CFG.to_dict() and len(doc["random_state"][1]) == 625
    assert doc["numpy_state"]["bit_generator"] == "PCG64"
    genomes = evolution_repo.store.query("SELECT fitness, label FROM genomes WHERE run_id = ? ORDER BY id", (run_id,))
    assert len(genomes) == 10 and genomes[0]["fitness"] == out.hall_of_fame[0].fitness
    assert evolution_repo.worker(run_id) is None


def test_resume_after_cancel_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    reference = EvolutionRepo(Store(tmp_path / "ref.db"))
    ref_id = new_run(reference)
    ref = execute_run(reference, ref_id, sphere_fitness, TOY_FINGERPRINT)

    for k in (0, 1, 5, 11):
        repo = EvolutionRepo(Store(tmp_path / f"stop{k}.db"))
        run_id = new_run(repo)
        first = execute_run(repo, run_id, sphere_fitness, TOY_FINGERPRINT, should_stop=stop_after(k))
        assert first.status == "cancelled" and first.generation == k
        assert repo.get_run(run_id)["status"] == "cancelled"
        again = execute_run(repo, run_id, sphere_fitness, TOY_FINGERPRINT)
        assert again.status == "finished" and again.hall_of_fame == ref.hall_of_fame
        assert final_state_digest(repo, run_id) == final_state_digest(reference, ref_id)


def test_resume_with_no_checkpoint_starts_from_generation_zero(evolution_repo):
    run_id = new_run(evolution_repo)
    out = execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT, should_stop=lambda: True)
    assert out.status == "cancelled" and out.generation == -1 and evolution_repo.checkpoint_generations(run_id) == []
    assert execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT).status == "finished"


def test_resume_refuses_changed_data_or_config(evolution_repo):
    run_id = new_run(evolution_repo)
    execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT, should_stop=stop_after(2))
    with pytest.raises(BadInputError, match=r"^run \d+: refusing to resume: the data or backtest settings changed"):
        execute_run(evolution_repo, run_id, sphere_fitness, "another-fingerprint")
    with pytest.raises(BadInputError, match="different config .*population_size: 20 != 10"):
        execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT, config=EvolutionConfig(fitness="dn",
            population_size=20, generations=12, seed=4))
    assert evolution_repo.checkpoint_generations(run_id) == [0, 1, 2]  # refusals change nothing


def test_a_finished_run_is_not_resumed(evolution_repo):
    run_id = new_run(evolution_repo, EvolutionConfig(fitness="dn", population_size=4, generations=1))
    execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)
    with pytest.raises(BadInputError, match="already finished"):
        execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)


def _tamper(evolution_repo: EvolutionRepo, run_id: int, new_text: str, fix_sha: bool) -> None:
    from core.evolution.checkpoint import sha256_text

    gen = evolution_repo.latest_checkpoint(run_id).generation
    with evolution_repo.store.transaction() as conn:
        if fix_sha:
            conn.execute("UPDATE checkpoints SET state_json = ?, sha256 = ? WHERE run_id = ? AND generation = ?",
                         (new_text, sha256_text(new_text), run_id, gen))
        else:
            conn.execute("UPDATE checkpoints SET state_json = ? WHERE run_id = ? AND generation = ?",
                         (new_text, run_id, gen))


@pytest.mark.parametrize("damage, fix_sha, message", [
    (lambda t: t[: len(t) // 2], False, "sha256 does not match"),
    (lambda t: t[: len(t) // 2], True, "invalid JSON"),
    (lambda t: t.replace('"version":1', '"version":2'), True, "version 2 is not supported"),
    (lambda t: t.replace('"population":[[', '"population":[[7.5,', 1), True, "refusing a corrupt checkpoint"),
    (lambda t: t.replace('"generation":3', '"generation":"3"'), True, "refusing a corrupt checkpoint"),
    (lambda t: t.replace('"data_fingerprint":"toy', '"data_fingerprint":"xoy'), True, "does not match its run"),
])
def test_a_corrupt_checkpoint_is_refused_with_one_line(evolution_repo, damage, fix_sha, message):
    run_id = new_run(evolution_repo)
    execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT, should_stop=stop_after(3))
    text = evolution_repo.latest_checkpoint(run_id).state_json
    _tamper(evolution_repo, run_id, damage(text), fix_sha)
    with pytest.raises(CheckpointError, match=message) as err:
        execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)
    assert "\n" not in str(err.value) and f"run {run_id} generation 3" in str(err.value)
    assert evolution_repo.get_run(run_id)["status"] == "cancelled"  # untouched, still resumable once repaired


def test_a_flipped_byte_is_caught_by_the_checksum(evolution_repo):
    run_id = new_run(evolution_repo)
    execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT, should_stop=stop_after(1))
    text = evolution_repo.latest_checkpoint(run_id).state_json
    i = text.index('"fitness":[') + 15
    flipped = text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1:]
    _tamper(evolution_repo, run_id, flipped, fix_sha=False)
    with pytest.raises(CheckpointError, match="sha256"):
        execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)


def test_a_run_owned_by_a_live_process_is_not_taken_over(evolution_repo):
    run_id = new_run(evolution_repo)
    alive_pid = os.getppid()  # our parent is certainly alive and is not us
    assert evolution_repo.claim_run(run_id, alive_pid, socket.gethostname(), lambda w: True) is None
    with pytest.raises(BadInputError, match=f"being advanced by pid {alive_pid}"):
        execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)
    assert execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT, force=True).status == "finished"


def test_a_failing_evaluator_marks_the_run_failed_and_resumable(evolution_repo):
    run_id = new_run(evolution_repo)
    calls = []

    def flaky(genes):
        calls.append(1)
        if len(calls) == 4:
            raise ZeroDivisionError("boom")
        return sphere_fitness(genes)

    with pytest.raises(ZeroDivisionError):
        execute_run(evolution_repo, run_id, flaky, TOY_FINGERPRINT)
    assert evolution_repo.get_run(run_id)["status"] == "failed"
    assert evolution_repo.checkpoint_generations(run_id) == [0, 1, 2]
    assert execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT).status == "finished"
