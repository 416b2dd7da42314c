"""`evorisk evolve`, `evorisk resume`, `evorisk runs` as an operator or a script sees them."""
from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.cli import main
from core.evolution import EvolutionConfig, create_run
from storage import Store
from storage.evolution_repo import EvolutionRepo
from tests.support.evolution_rig import TOY_FINGERPRINT, sphere_fitness

ROOT = Path(__file__).resolve().parents[2]


SCALAR = ("--fitness", "dn")  # the sphere stand-in returns one fitness column, as dn does


@pytest.fixture
def toy_evaluator(monkeypatch):
    """Stand the cheap sphere evaluator in for the backtest, keyed on the paths given."""
    import core.evolution.evaluator as ev

    def fake(paths):
        names = ",".join(Path(p).stem for p in paths)
        return sphere_fitness, TOY_FINGERPRINT + ("" if names == "a" else names), f"toy {names}"

    monkeypatch.setattr(ev, "make_evaluator", fake)


def test_evolve_prints_the_run_id_first_and_ends_with_the_best_genome(tmp_db, toy_evaluator, capsys):
    rc = main(["evolve", "--data", "a.csv", "--pop", "6", "--gens", "3", "--seed", "2", "--db", str(tmp_db),
               *SCALAR])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0 and out[0] == "run 1"
    assert "best genome after generation 3" in out[1]
    assert any("stop_loss_pct" in line for line in out)


def test_evolve_json_gives_the_run_id_line_then_the_result(tmp_db, toy_evaluator, capsys):
    rc = main(["evolve", "--data", "a.csv", "--pop", "6", "--gens", "2", "--db", str(tmp_db), "--json", *SCALAR])
    first, last = capsys.readouterr().out.strip().splitlines()
    assert rc == 0 and json.loads(first) == {"run_id": 1}
    result = json.loads(last)
    assert result["status"] == "finished" and result["generation"] == 2
    assert result["best"]["fitness"] == result["hall_of_fame"][0]["fitness"]
    assert set(result["best"]["params"]) >= {"stop_loss_pct", "w_tp"} and len(result["best"]["genes"]) == 22


def test_runs_lists_status_generations_and_best_fitness(tmp_db, evolution_repo, toy_evaluator, capsys):
    main(["evolve", "--data", "a.csv", "--pop", "4", "--gens", "3", "--db", str(tmp_db), "--json", *SCALAR])
    create_run(evolution_repo, EvolutionConfig(fitness="dn", population_size=4, generations=9), TOY_FINGERPRINT,
               "toy b")  # never ran
    capsys.readouterr()
    assert main(["runs", "--db", str(tmp_db)]) == 0
    table = capsys.readouterr().out
    for header in ("id", "status", "generations", "best fitness", "created"):
        assert header in table
    row1 = next(line for line in table.splitlines() if line.startswith("│  1 "))
    assert "finished" in row1 and "3/3" in row1 and f"{evolution_repo.get_run(1)['best_fitness']:.6f}" in row1
    row2 = next(line for line in table.splitlines() if line.startswith("│  2 "))
    assert "interrupted" in row2 and "-/9" in row2
    assert main(["runs", "--db", str(tmp_db), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [(r["id"], r["status"], r["generations_done"]) for r in runs] == [(2, "interrupted", None),
                                                                             (1, "finished", 3)]


def test_resume_refuses_changed_data_with_one_line_and_exit_2(tmp_db, evolution_repo, toy_evaluator, capsys):
    run_id = create_run(evolution_repo, EvolutionConfig(fitness="dn", population_size=4, generations=3),
                        TOY_FINGERPRINT, "toy", data_paths=["a.csv"])
    assert main(["resume", str(run_id), "--db", str(tmp_db), "--data", "b.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refusing to resume: the data or backtest settings changed" in err
    assert main(["resume", str(run_id), "--db", str(tmp_db)]) == 0
    assert main(["resume", str(run_id), "--db", str(tmp_db)]) == 2
    assert "already finished" in capsys.readouterr().err


def test_ctrl_c_cancels_at_a_generation_boundary_and_the_run_resumes(tmp_path):
    db = tmp_path / "ctrlc.db"
    code = ("import time, core.evolution.evaluator as ev\n"
            "from tests.support.evolution_rig import sphere_fitness, TOY_FINGERPRINT\n"
            "def slow(g):\n    time.sleep(0.01)\n    return sphere_fitness(g)\n"
            "ev.make_evaluator = lambda paths: (slow, TOY_FINGERPRINT, 'toy')\n"
            "from console.cli import main\n"
            "raise SystemExit(main(['evolve', '--data', 'a.csv', '--pop', '6', '--gens', '2000', '--fitness', 'dn', "
            f"'--db', {str(db)!r}]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _checkpoints(db) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out.splitlines()[0] == "run 1" and "continue with: evorisk resume 1" in err
    repo = EvolutionRepo(Store(db))
    run = repo.get_run(1)
    done = repo.checkpoint_generations(1)
    assert run["status"] == "cancelled" and 3 <= len(done) < 2001 and done == list(range(len(done)))


def _checkpoints(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def test_evolve_on_real_data_with_the_backtest_kernel(daily_dir, tmp_db, evolution_repo, capsys):
    pytest.importorskip("core.backtest.api")
    paths = [str(daily_dir / "BTC.csv"), str(daily_dir / "ETH.csv")]
    rc = main(["evolve", "--data", *paths, "--pop", "8", "--gens", "2", "--seed", "1", "--db", str(tmp_db), "--json"])
    first, last = capsys.readouterr().out.strip().splitlines()
    assert rc == 0 and json.loads(first) == {"run_id": 1}
    result = json.loads(last)
    assert result["status"] == "finished" and math.isfinite(result["best"]["fitness"])
    assert evolution_repo.get_run(1)["data_desc"] == "BTC,ETH" and evolution_repo.checkpoint_generations(1) == [0, 1, 2]
    assert [r["evaluations"] for r in evolution_repo.generations(1)][0] == 8


def test_a_real_backtest_run_resumes_bit_identically(daily_dir, tmp_path):
    pytest.importorskip("core.backtest.api")
    from core.evolution import execute_run, final_state_digest
    from core.evolution.evaluator import make_evaluator

    evaluate, fingerprint, desc = make_evaluator([daily_dir / "BTC.csv", daily_dir / "XRP.csv"])
    cfg = EvolutionConfig(fitness="dn", population_size=8, generations=4, seed=3)
    digests = []
    for stop_at in (None, 1):
        repo = EvolutionRepo(Store(tmp_path / f"real{stop_at}.db"))
        run_id = create_run(repo, cfg, fingerprint, desc)
        if stop_at is not None:
            asked = []
            out = execute_run(repo, run_id, evaluate, fingerprint,
                              should_stop=lambda: len(asked.append(1) or asked) > stop_at + 1)
            assert out.status == "cancelled" and out.generation == stop_at
        assert execute_run(repo, run_id, evaluate, fingerprint).status == "finished"
        digests.append(final_state_digest(repo, run_id))
    assert digests[0] == digests[1]
