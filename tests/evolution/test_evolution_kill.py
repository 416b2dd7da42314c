"""RELIABILITY scenario 11: kill -9 mid-evolution, resume, and end bit-identical to a clean run."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.evolution import EvolutionConfig, create_run, displayed_status, execute_run, final_state_digest
from storage import Store
from storage.evolution_repo import EvolutionRepo
from tests.support.evolution_rig import TOY_FINGERPRINT, sphere_fitness

ROOT = Path(__file__).resolve().parents[2]
CFG = EvolutionConfig(fitness="dn", population_size=12, generations=30, seed=21)
# Evaluator sleep per generation in the child (s): long enough that a kill lands mid-run, short
# enough that the random delay after a checkpoint often falls inside the next commit.
CHILD_SLEEP_S = 0.005
WAIT_LIMIT_S = 60.0


def checkpoints_done(db: Path, run_id: int) -> int:
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM checkpoints WHERE run_id = ?", (run_id,)).fetchone()[0]
    except sqlite3.OperationalError:  # busy or not created yet
        return 0
    finally:
        conn.close()


def start_child(db: Path, run_id: int) -> subprocess.Popen:
    code = "from tests.support.evolution_rig import child_main; child_main()"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code, str(db), str(run_id), str(CHILD_SLEEP_S)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_after(proc: subprocess.Popen, db: Path, run_id: int, at_least: int, jitter_s: float) -> int:
    """SIGKILL the child once `at_least` checkpoints exist plus a random delay (often mid-write)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while checkpoints_done(db, run_id) < at_least:
        if proc.poll() is not None:
            pytest.fail(f"child ended early: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("child made no progress")
        time.sleep(0.002)
    time.sleep(jitter_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return checkpoints_done(db, run_id)


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_is_bit_identical(tmp_path):
    reference = EvolutionRepo(Store(tmp_path / "reference.db"))
    ref_id = create_run(reference, CFG, TOY_FINGERPRINT, "toy")
    ref = execute_run(reference, ref_id, sphere_fitness, TOY_FINGERPRINT)
    expected = final_state_digest(reference, ref_id)

    db = tmp_path / "killed.db"
    repo = EvolutionRepo(Store(db))
    run_id = create_run(repo, CFG, TOY_FINGERPRINT, "toy")
    rng = random.Random(5)
    kills = []
    # (checkpoints to wait for, extra delay): during start-up, right after the first checkpoint,
    # then at random moments deeper in
    for target, delay_s in ((0, 0.3), (1, 0.0), (8, rng.uniform(0, 0.01)), (17, rng.uniform(0, 0.01))):
        child = start_child(db, run_id)
        kills.append(kill_after(child, db, run_id, target, delay_s))
        fresh = Store(db)  # a new connection, as the next process would see it
        assert fresh.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
        run = EvolutionRepo(fresh).get_run(run_id)
        assert run["status"] == "running"
        assert displayed_status(run["status"], EvolutionRepo(fresh).worker(run_id)) == "interrupted"
        fresh.close()
    assert kills == sorted(kills) and kills[-1] < CFG.generations + 1, f"kills must land mid-run: {kills}"

    out = execute_run(repo, run_id, sphere_fitness, TOY_FINGERPRINT)
    assert out.status == "finished", kills
    assert out.hall_of_fame == ref.hall_of_fame
    assert [r["best"] for r in repo.generations(run_id)] == [r["best"] for r in reference.generations(ref_id)]
    assert final_state_digest(repo, run_id) == expected
