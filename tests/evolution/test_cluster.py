"""Evolutions evaluated on a Dask cluster (issue 10): bit-identical to a local run, through a dead
worker, a flaky task and a lost scheduler. One LocalCluster of two worker processes over loopback
serves the module; only the lost-scheduler test starts (and kills) a scheduler of its own."""
from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from console.cli import main  # noqa: E402
from core.errors import BadInputError  # noqa: E402
from core.evolution import EvolutionConfig, create_run, execute_run, final_state_digest  # noqa: E402
from core.evolution import cluster as cl  # noqa: E402
from core.evolution.evaluator import make_evaluator  # noqa: E402
from storage import Store  # noqa: E402
from storage.evolution_repo import EvolutionRepo  # noqa: E402
from tests.support import cluster_workers as helpers  # noqa: E402
from tests.support.paths import ROOT  # noqa: E402

CFG = EvolutionConfig(fitness="dn", population_size=10, generations=3, seed=7, folds=0)  # plain kernel fitness: the chunk helpers compute exactly that
ASSETS = ("BTC", "ETH")
SCHEDULER_START_S = 30.0  # a cold `dask scheduler` / `dask worker` on a busy 2-core machine


@pytest.fixture(scope="module")
def paths(daily_dir) -> list[str]:
    return [str(daily_dir / f"{name}.csv") for name in ASSETS]


@pytest.fixture(scope="module")
def local_evaluator(paths):
    from core.evolution.evaluator import with_objective

    evaluate, fingerprint, description = make_evaluator(paths)
    return with_objective(evaluate, CFG.objective()), fingerprint, description  # as `evorisk evolve` builds it


@pytest.fixture(scope="module")
def reference_digest(local_evaluator, paths, tmp_path_factory) -> str:
    """The digest of the same run evaluated in this process, no cluster involved."""
    repo = EvolutionRepo(Store(tmp_path_factory.mktemp("ref") / "ref.db"))
    run_id = new_run(repo, local_evaluator, paths)
    execute_run(repo, run_id, local_evaluator[0], local_evaluator[1])
    return final_state_digest(repo, run_id)


@pytest.fixture(scope="module")
def session():
    with cl.open_cluster("local:2") as s:
        yield s


def new_run(repo: EvolutionRepo, local_evaluator, paths) -> int:
    _, fingerprint, description = local_evaluator
    return create_run(repo, CFG, fingerprint, description, data_paths=paths)


def worker_pids(session) -> set[int]:
    return set(session.client.run(os.getpid).values())


def test_cluster_run_is_bit_identical_to_the_local_run(session, local_evaluator, paths, reference_digest,
                                                        evolution_repo):
    run_id = new_run(evolution_repo, local_evaluator, paths)
    evaluate = cl.make_cluster_evaluator(local_evaluator[0].dataset, session)
    out = execute_run(evolution_repo, run_id, evaluate, local_evaluator[1])
    assert out.status == "finished" and final_state_digest(evolution_repo, run_id) == reference_digest
    assert session.info() == cl.ClusterInfo(session.address, 2, local=True)


@pytest.mark.parametrize("chunks_per_worker", [1, 3, 50])
def test_any_chunking_gives_the_local_fitness_in_genome_order(session, local_evaluator, chunks_per_worker):
    local, _, _ = local_evaluator
    genes = np.random.default_rng(chunks_per_worker).random((11, 22))
    evaluate = cl.make_cluster_evaluator(local.dataset, session, chunks_per_worker=chunks_per_worker)
    assert np.array_equal(evaluate(genes), local(genes))


def keys_on_every_worker(session) -> set:
    """The data keys each worker holds in memory (Dask's has_what), intersected over the workers."""
    return set.intersection(*(set(keys) for keys in session.client.has_what().values()))


def test_the_dataset_is_shipped_once_per_worker_not_per_task(session, local_evaluator):
    before = keys_on_every_worker(session)
    evaluate = cl.make_cluster_evaluator(local_evaluator[0].dataset, session)
    [shipped] = keys_on_every_worker(session) - before  # one copy broadcast to each worker
    assert session.info().n_workers == 2
    evaluate(np.random.default_rng(0).random((8, 22)))
    assert keys_on_every_worker(session) - before == {shipped}  # the same copy, not a new one per call


def test_a_chunk_that_raises_is_retried_and_scores_the_same(session, local_evaluator, tmp_path):
    local, _, _ = local_evaluator
    flaky = functools.partial(helpers.raise_once, str(tmp_path / "raised"))
    genes = np.random.default_rng(1).random((8, 22))
    evaluate = cl.make_cluster_evaluator(local.dataset, session, chunk_fitness=flaky, retries=1)
    assert np.array_equal(evaluate(genes), local(genes)) and (tmp_path / "raised").exists()


def test_a_worker_from_another_build_is_refused(session, local_evaluator, monkeypatch):
    # This process claims another build; the workers (their own processes) compute the real digest.
    monkeypatch.setattr(cl, "code_digest", lambda: "another-digest")
    evaluate = cl.make_cluster_evaluator(local_evaluator[0].dataset, session, retries=0)
    with pytest.raises(cl.WorkerMismatchError, match="same evorisk on every worker"):
        evaluate(np.zeros((1, 22)))


def test_cli_evolve_and_resume_on_a_cluster_match_the_local_run(session, local_evaluator, paths, reference_digest,
                                                                 tmp_db, evolution_repo, capsys):
    args = ["--db", str(tmp_db), "--cluster", session.address, "--json"]
    assert main(["evolve", "--data", *paths, "--pop", "10", "--gens", "3", "--seed", "7", "--fitness", "dn",
                 "--folds", "0", *args]) == 0
    first_id = json.loads(capsys.readouterr().out.splitlines()[0])["run_id"]
    assert final_state_digest(evolution_repo, first_id) == reference_digest

    cancelled_id = new_run(evolution_repo, local_evaluator, paths)
    out = execute_run(evolution_repo, cancelled_id, local_evaluator[0], local_evaluator[1],
                      should_stop=iter([False, True]).__next__)
    assert out.status == "cancelled" and out.generation == 0
    assert main(["resume", str(cancelled_id), *args]) == 0
    assert final_state_digest(evolution_repo, cancelled_id) == reference_digest


def test_without_dask_the_cluster_option_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(cl.ClusterUnavailableError, match=r"install evorisk\[cluster\]"):
        with cl.open_cluster("local:1"):
            pass


@pytest.mark.parametrize("address, message", [("local:0", "expected local:N with N >= 1"),
                                               ("scheduler-without-port", "expected tcp://HOST:PORT or local:N"),
                                               ("local:2", r"install evorisk\[cluster\]")])
def test_cli_refuses_a_bad_cluster_in_one_line_before_creating_a_run(address, message, paths, tmp_db,
                                                                     evolution_repo, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # and no Dask installed
    rc = main(["evolve", "--data", *paths, "--pop", "8", "--gens", "1", "--db", str(tmp_db), "--cluster", address])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and re.search(message, err)
    assert evolution_repo.run_summaries() == []


@pytest.mark.parametrize("address", ["local:0", "local:two"])
def test_a_malformed_local_address_is_one_line(address):
    with pytest.raises(BadInputError, match="expected local:N"):
        cl.parse_local_workers(address)


def test_an_unreachable_scheduler_is_one_line(monkeypatch):
    monkeypatch.setattr(cl, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(cl.ClusterUnavailableError, match="cannot reach the Dask scheduler"):
        with cl.open_cluster(f"tcp://127.0.0.1:{free_port()}"):
            pass


def test_a_worker_killed_mid_generation_has_its_chunk_rerun(session, local_evaluator, paths, reference_digest,
                                                           evolution_repo, tmp_path):
    """Last in the module: the nanny restarts the killed worker, but that takes a few seconds."""
    marker = tmp_path / "killed-worker-pid"
    before = worker_pids(session)
    run_id = new_run(evolution_repo, local_evaluator, paths)
    evaluate = cl.make_cluster_evaluator(local_evaluator[0].dataset, session,
                                         chunk_fitness=functools.partial(helpers.die_once, str(marker)))
    out = execute_run(evolution_repo, run_id, evaluate, local_evaluator[1])
    killed = int(marker.read_text())
    assert killed in before and killed not in worker_pids(session)
    assert out.status == "finished" and final_state_digest(evolution_repo, run_id) == reference_digest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def remote_cluster():
    """A scheduler and one worker as separate processes, as on real machines; yields (address, pid)."""
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_NUM_THREADS": "1"}
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                  address.rsplit(":", 1)[1], "--no-dashboard"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                               "--no-dashboard", "--death-timeout", "30"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield address, scheduler.pid
    finally:
        for proc in (worker, scheduler):
            proc.kill()
            proc.wait(timeout=SCHEDULER_START_S)


def test_a_lost_scheduler_fails_the_run_cleanly_and_it_resumes_locally(remote_cluster, local_evaluator, paths,
                                                                      reference_digest, evolution_repo, tmp_path):
    address, scheduler_pid = remote_cluster
    tripwire = tmp_path / "tripwire"
    run_id = new_run(evolution_repo, local_evaluator, paths)
    chunk = functools.partial(helpers.kill_scheduler_when_armed, str(tripwire))

    def arm_after_generation_1(report) -> None:
        if report.generation == 1:
            tripwire.with_suffix(".tmp").write_text(str(scheduler_pid))
            os.replace(tripwire.with_suffix(".tmp"), tripwire)  # a worker never reads half a pid

    with pytest.raises(cl.ClusterLostError) as lost:
        with cl.cluster_evaluation(address, local_evaluator[0], run_id, chunk_fitness=chunk) as evaluate:
            execute_run(evolution_repo, run_id, evaluate, local_evaluator[1], on_progress=arm_after_generation_1)
    message = str(lost.value)
    assert "\n" not in message and f"evorisk resume {run_id}" in message and "lost the Dask scheduler" in message
    assert evolution_repo.get_run(run_id)["status"] == "failed"
    assert evolution_repo.latest_checkpoint(run_id).generation == 1

    out = execute_run(evolution_repo, run_id, local_evaluator[0], local_evaluator[1])
    assert out.status == "finished" and final_state_digest(evolution_repo, run_id) == reference_digest


def test_the_runs_objective_is_shipped_to_the_workers_and_scores_the_same(session, paths):
    """An exposure-neutral run with inner folds scores each chunk on the workers with the same
    Objective as locally (cluster_evaluation hands it over as the chunk function)."""
    from core.evolution.evaluator import with_objective

    local = with_objective(make_evaluator(paths)[0], EvolutionConfig(fitness="neutral", folds=-1).objective())
    assert local.objective.folds == 2
    genes = np.random.default_rng(3).random((6, 22))
    with cl.cluster_evaluation(session.address, local) as remote:
        assert remote.chunk_fitness == local.objective
        assert np.array_equal(remote(genes), local(genes))
