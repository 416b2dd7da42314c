"""RELIABILITY scenario 10, "keep the previous one": a corrupt newest checkpoint is set aside and the
run resumes from the newest valid one, bit-identically; with nothing valid left the run is refused
with one line and stays listable."""
from __future__ import annotations

import json
import logging

import pytest

from console.cli import main
from core.evolution import (CheckpointError, EvolutionConfig, best_champion, create_run, execute_run,
                            final_state_digest)
from core.evolution.checkpoint import sha256_text
from storage import Store
from storage.evolution_repo import EvolutionRepo
from tests.support.evolution_rig import TOY_FINGERPRINT, sphere_fitness

CFG = EvolutionConfig(fitness="dn", population_size=8, generations=9, seed=11)


@pytest.fixture
def toy_evaluator(monkeypatch):
    import core.evolution.evaluator as ev

    monkeypatch.setattr(ev, "make_evaluator", lambda paths: (sphere_fitness, TOY_FINGERPRINT, "toy"))


def _stopped_run(repo: EvolutionRepo, generation: int) -> int:
    run_id = create_run(repo, CFG, TOY_FINGERPRINT, "toy", data_paths=["a.csv"])
    asked = []
    execute_run(repo, run_id, sphere_fitness, TOY_FINGERPRINT,
                should_stop=lambda: len(asked.append(1) or asked) > generation + 1)
    return run_id


def _corrupt(repo: EvolutionRepo, run_id: int, generation: int, keep_sha: bool = False) -> None:
    row = repo.checkpoint_at(run_id, generation)
    text = row.state_json[: len(row.state_json) // 2]
    with repo.store.transaction() as conn:
        conn.execute("UPDATE checkpoints SET state_json = ?, sha256 = ? WHERE run_id = ? AND generation = ?",
                     (text, row.sha256 if keep_sha else sha256_text(text), run_id, generation))


def test_resume_falls_back_to_the_newest_valid_checkpoint_bit_identically(tmp_path, caplog):
    reference = EvolutionRepo(Store(tmp_path / "ref.db"))
    ref_id = create_run(reference, CFG, TOY_FINGERPRINT, "toy", data_paths=["a.csv"])
    execute_run(reference, ref_id, sphere_fitness, TOY_FINGERPRINT)

    repo = EvolutionRepo(Store(tmp_path / "run.db"))
    run_id = _stopped_run(repo, 4)
    _corrupt(repo, run_id, 4)
    _corrupt(repo, run_id, 3, keep_sha=True)
    with caplog.at_level(logging.WARNING, logger="core.evolution.runner"):
        out = execute_run(repo, run_id, sphere_fitness, TOY_FINGERPRINT, fallback=True)
    assert out.status == "finished" and out.discarded_generations == (3, 4)
    assert final_state_digest(repo, run_id) == final_state_digest(reference, ref_id)
    assert [q["generation"] for q in repo.quarantined(run_id)] == [3, 4]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("generation 4: refusing a corrupt checkpoint" in w for w in warnings)
    assert any("continuing from generation 2, the newest valid checkpoint" in w for w in warnings)


def test_without_fallback_the_corrupt_newest_checkpoint_is_still_refused(evolution_repo):
    run_id = _stopped_run(evolution_repo, 2)
    _corrupt(evolution_repo, run_id, 2)
    with pytest.raises(CheckpointError, match="generation 2: refusing a corrupt checkpoint"):
        execute_run(evolution_repo, run_id, sphere_fitness, TOY_FINGERPRINT)
    assert evolution_repo.checkpoint_generations(run_id) == [0, 1, 2] and evolution_repo.quarantined(run_id) == []


def test_cli_resume_keeps_the_previous_checkpoint_and_warns(tmp_db, evolution_repo, toy_evaluator, capsys):
    run_id = _stopped_run(evolution_repo, 5)
    _corrupt(evolution_repo, run_id, 5)
    capsys.readouterr()
    assert main(["resume", str(run_id), "--db", str(tmp_db)]) == 0
    err = capsys.readouterr().err
    assert "corrupt checkpoints of generations 5 were quarantined" in err
    assert evolution_repo.get_run(run_id)["status"] == "finished"
    assert evolution_repo.checkpoint_generations(run_id) == list(range(10))


def test_with_no_valid_checkpoint_resume_report_and_export_refuse_and_runs_still_lists_it(tmp_db, evolution_repo,
                                                                                          toy_evaluator, capsys,
                                                                                          tmp_path):
    run_id = _stopped_run(evolution_repo, 0)
    _corrupt(evolution_repo, run_id, 0)
    capsys.readouterr()
    for argv in (["resume", str(run_id)], ["report", str(run_id)], ["export", str(run_id), str(tmp_path / "g.json")]):
        assert main([*argv, "--db", str(tmp_db)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"run {run_id} generation 0: refusing a corrupt checkpoint" in err
        assert "no earlier valid checkpoint to fall back to" in err
    assert not (tmp_path / "g.json").exists()
    assert main(["runs", "--db", str(tmp_db), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["runs"]
    assert row["id"] == run_id and row["status"] == "cancelled" and row["generations_done"] == 0


def test_best_champion_of_an_unfinished_run_skips_a_corrupt_newest_checkpoint(evolution_repo):
    run_id = _stopped_run(evolution_repo, 3)
    before = json.loads(evolution_repo.checkpoint_at(run_id, 2).state_json)["hall_of_fame"][0]
    _corrupt(evolution_repo, run_id, 3)
    champion, source = best_champion(evolution_repo, run_id)
    assert list(champion.genes) == before["genes"] and champion.fitness == before["fitness"]
    assert "checkpoint of generation 2" in source and "corrupt newer checkpoints skipped: 3" in source


def test_quarantine_migration_follows_the_evolution_ones_and_applies_in_memory():
    from storage.migrations import MIGRATIONS

    names = [n for n, _ in MIGRATIONS]
    assert names.index("m103_run_workers") < names.index("m201_checkpoint_quarantine")
    assert "checkpoint_quarantine" in Store(":memory:").table_names()
