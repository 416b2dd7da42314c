"""Evaluate each generation on a Dask cluster when one machine is not fast enough.

The evolution loop calls its evaluator once per generation with the whole batch; here that batch is
cut into chunks, each chunk runs the same numba kernel on a worker, and the fitness comes back in
chunk order. The kernel scores every (genome, window) pair on its own, so the chunking changes no
bit of any fitness: a run is identical with and without a cluster, and may resume on either.

The Dataset is scattered once to every worker (broadcast) and each task refers to it by key, so
per generation only the genes (P x 22 floats) travel. Dask is an optional extra and is imported
only in here, only when a cluster is asked for.

Faults: a task that raises on a worker is retried (`retries`); a task whose worker dies is
rescheduled by the scheduler (up to its `allowed-failures`); a lost scheduler, or no worker for
NO_WORKER_GRACE_S, raises ClusterLostError, which fails the run at its last checkpoint, resumable.
"""
from __future__ import annotations

import concurrent.futures
import functools
import importlib.util
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from core.errors import BadInputError, EvoriskError

log = logging.getLogger(__name__)

LOCAL_PREFIX = "local:"  # `local:N` starts a LocalCluster of N single-threaded worker processes
CHUNKS_PER_WORKER = 2  # a dead worker costs only half its share, and a slow one holds up less
TASK_RETRIES = 2  # a chunk whose task raised (e.g. MemoryError on a busy node) runs again elsewhere
CONNECT_TIMEOUT_S = 10.0  # a scheduler that does not answer by then is reported, not waited for
FIRST_WORKER_WAIT_S = 60.0  # worker processes import numba and load the kernel cache first
NO_WORKER_GRACE_S = 60.0  # a generation with no worker at all for this long fails the run
POLL_S = 1.0  # how often a waiting generation checks that workers are still there
KERNEL_FILES = ("core/backtest/kernel_nb.py", "core/backtest/enums.py", "core/backtest/api.py", "core/genome.py",
                "core/regimes.py", "core/evolution/objective.py", "core/backtest/dataset.py")
"""The code that decides a fitness: a worker with another version of it would break bit-identity."""

ChunkFitness = Callable[[Any, np.ndarray], np.ndarray]
"""(Dataset, genes (n, 22)) -> fitness (n,); runs on a worker, so it must be importable there."""


class ClusterUnavailableError(BadInputError):
    """Dask is not installed, or the scheduler cannot be reached or has no workers."""


DATASET_RESHIPS = 2  # a generation whose scattered Dataset died with its worker is re-run this often


class ClusterLostError(EvoriskError):
    """The cluster went away during a generation; the run keeps its last checkpoint."""


class WorkerMismatchError(EvoriskError):
    """A worker runs different kernel code or numba/numpy versions, so its fitness could differ."""


@dataclass(frozen=True)
class ClusterInfo:
    """What the console shows about the cluster a run evaluates on."""

    address: str  # the scheduler's address (for local:N, the LocalCluster's own)
    n_workers: int
    local: bool  # True for a LocalCluster this process started


def parse_local_workers(address: str) -> int | None:
    """N for `local:N`, None for a scheduler address; BadInputError for a malformed `local:`."""
    if not address.startswith(LOCAL_PREFIX):
        return None
    text = address[len(LOCAL_PREFIX):]
    if not text.isdigit() or int(text) < 1:
        raise BadInputError(f"--cluster {address}: expected local:N with N >= 1 workers")
    return int(text)


def fitness_of_chunk(dataset: Any, genes: np.ndarray) -> np.ndarray:
    """The default chunk function: the backtest kernel, exactly as a local run calls it."""
    from core.backtest.api import evaluate_population

    return np.asarray(evaluate_population(dataset, genes).fitness, dtype=np.float64)


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of the fitness-deciding source files (KERNEL_FILES and every source the compiled
    kernels depend on, core.numba_cache) and the numba/numpy versions of this process."""
    from core.numba_cache import ROOT, kernel_sources, source_digest

    return source_digest(sorted(set(kernel_sources()) | {ROOT / name for name in KERNEL_FILES}))


def _run_chunk(dataset: Any, genes: np.ndarray, expected_digest: str, chunk_fitness: ChunkFitness) -> np.ndarray:
    """The task a worker runs: refuse to score with other code, then score the chunk."""
    if code_digest() != expected_digest:
        raise WorkerMismatchError("a Dask worker runs a different evorisk kernel or numba/numpy version "
                                  "than this machine; install the same evorisk on every worker")
    return chunk_fitness(dataset, genes)


@dataclass
class ClusterSession:
    """An open connection to a scheduler, and the LocalCluster behind it when we started one."""

    client: Any  # distributed.Client
    address: str
    local_cluster: Any = None  # distributed.LocalCluster | None

    def info(self) -> ClusterInfo:
        """The live worker count (workers may join or die during a run)."""
        return ClusterInfo(self.address, _live_workers(self.client), self.local_cluster is not None)


@contextmanager
def open_cluster(address: str) -> Iterator[ClusterSession]:
    """Connect to `tcp://HOST:PORT`, or start `local:N`; closes what it opened on exit."""
    n_local = parse_local_workers(address)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterUnavailableError("--cluster needs Dask: install evorisk[cluster]") from None
    cluster = None
    try:
        if n_local is not None:
            cluster = LocalCluster(n_workers=n_local, threads_per_worker=1, processes=True,
                                   dashboard_address=None, env=_local_worker_env(n_local))
            client = Client(cluster, set_as_default=False)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except ValueError as exc:  # Dask's parser: no port, unknown scheme
        raise BadInputError(f"--cluster {address}: expected tcp://HOST:PORT or local:N ({exc})") from None
    except (OSError, TimeoutError) as exc:  # refused, unresolvable, or silent for CONNECT_TIMEOUT_S
        if cluster is not None:
            cluster.close()
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ClusterUnavailableError(f"cannot reach the Dask scheduler at {address}: {reason}") from None
    session = ClusterSession(client, str(client.scheduler.address), cluster)
    try:
        try:
            client.wait_for_workers(1, timeout=FIRST_WORKER_WAIT_S)
        except TimeoutError:
            raise ClusterUnavailableError(f"the Dask scheduler at {address} has no worker after "
                                          f"{FIRST_WORKER_WAIT_S:.0f} s") from None
        log.info("cluster %s: %d workers", session.address, session.info().n_workers)
        yield session
    finally:
        _close_quietly(session)


def _local_worker_env(n_workers: int) -> dict[str, str]:
    """Share this machine's cores between the workers instead of each numba pool taking all."""
    env = {"NUMBA_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // n_workers))}
    if "NUMBA_CACHE_DIR" in os.environ:  # workers load the compiled kernel instead of compiling it
        env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    return env


def _live_workers(client: Any) -> int:
    if client.status != "running":  # closed, or reconnecting to a scheduler that went away
        return 0
    try:
        return len(client.nthreads())
    except (OSError, concurrent.futures.CancelledError):  # scheduler gone: no worker to speak of
        return 0


def _close_quietly(session: ClusterSession) -> None:
    """Close client then cluster; a client whose scheduler vanished logs a traceback while its
    reconnect attempt is cancelled, which would bury the one line the operator needs."""
    client_log = logging.getLogger("distributed.client")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        session.client.close(timeout=CONNECT_TIMEOUT_S)
        if session.local_cluster is not None:
            session.local_cluster.close(timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: its event loop already stopped;
        # raising from here would replace the error that is on its way to the operator
        log.warning("cluster %s: did not close cleanly: %s", session.address, exc)
    finally:
        client_log.setLevel(level)


class ClusterEvaluator:
    """An evolution Evaluator that scores each generation's genomes on the cluster's workers."""

    def __init__(self, dataset: Any, session: ClusterSession, *, chunk_fitness: ChunkFitness = fitness_of_chunk,
                 retries: int = TASK_RETRIES, chunks_per_worker: int = CHUNKS_PER_WORKER):
        self.dataset = dataset
        self.session = session
        self.chunk_fitness = chunk_fitness
        self.retries = retries
        self.chunks_per_worker = chunks_per_worker
        self._digest = code_digest()
        self._dataset_future = self._scatter()

    def info(self) -> ClusterInfo:
        return self.session.info()

    def __call__(self, genes: np.ndarray) -> np.ndarray:
        genes = np.ascontiguousarray(genes, dtype=np.float64)
        if len(genes) == 0:
            return np.empty(0)
        client = self.session.client
        for attempt in range(DATASET_RESHIPS + 1):
            try:
                if client.status != "running":
                    raise concurrent.futures.CancelledError
                if self._dataset_future.status != "finished":  # every holder died: ship it again
                    self._dataset_future = self._scatter()
                n_chunks = min(len(genes), max(1, _live_workers(client)) * self.chunks_per_worker)
                futures = [client.submit(_run_chunk, self._dataset_future, chunk, self._digest, self.chunk_fitness,
                                         retries=self.retries, pure=False)
                           for chunk in np.array_split(genes, n_chunks)]
                return np.concatenate([self._result(f) for f in futures])  # chunk order = genome order
            except concurrent.futures.CancelledError:
                if client.status != "running" or attempt == DATASET_RESHIPS:
                    raise ClusterLostError(f"lost the Dask scheduler at {self.session.address} during a "
                                           "generation") from None
                # The scheduler lives but the scattered Dataset died with the only worker that held it
                # (a worker that joined after the broadcast has no copy): ship it again and re-run the
                # generation; evaluation is pure, so the result is the same bit for bit.
                log.warning("the dataset was lost with a Dask worker: shipping it again, re-running the generation")
                self._dataset_future = self._scatter()
        raise AssertionError("unreachable")

    def _scatter(self) -> Any:
        return self.session.client.scatter(self.dataset, broadcast=True, hash=False)

    def _result(self, future: Any) -> np.ndarray:
        """Wait for one chunk; give up when no worker has been there for NO_WORKER_GRACE_S."""
        from distributed.scheduler import KilledWorker

        without_workers_since: float | None = None
        while True:
            try:
                return future.result(timeout=POLL_S)
            except TimeoutError:
                if future.status == "error":  # the task itself raised TimeoutError on its worker
                    raise
            except KilledWorker as exc:
                raise ClusterLostError(f"a chunk of genomes kept killing the Dask workers running it "
                                       f"(out of memory?): {exc}") from None
            if _live_workers(self.session.client) > 0:
                without_workers_since = None
            elif without_workers_since is None:
                without_workers_since = time.monotonic()
            elif time.monotonic() - without_workers_since > NO_WORKER_GRACE_S:
                raise ClusterLostError(f"the Dask cluster at {self.session.address} has had no worker "
                                       f"for {NO_WORKER_GRACE_S:.0f} s")


def make_cluster_evaluator(dataset: Any, session: ClusterSession, **options: Any) -> ClusterEvaluator:
    """The cluster counterpart of evaluator.make_evaluator's evaluate, for the same Dataset."""
    return ClusterEvaluator(dataset, session, **options)


def check_cluster(address: str | None) -> None:
    """Refuse a malformed address, or a missing Dask, before a command creates a run."""
    if address is None:
        return
    if parse_local_workers(address) is None and not address.split("://", 1)[-1].rpartition(":")[2].isdigit():
        raise BadInputError(f"--cluster {address}: expected tcp://HOST:PORT or local:N")
    if importlib.util.find_spec("distributed") is None:
        raise ClusterUnavailableError("--cluster needs Dask: install evorisk[cluster]")


@contextmanager
def cluster_evaluation(address: str | None, local_evaluate: Any, run_id: int | None = None,
                       **options: Any) -> Iterator[Any]:
    """The evaluator a command should use: `local_evaluate` unchanged without an address, else one
    on the cluster (needs its `.dataset`). Cluster errors are re-raised naming the resume command."""
    if address is None:
        yield local_evaluate
        return
    try:
        with open_cluster(address) as session:
            if getattr(local_evaluate, "objective", None) is not None:
                options.setdefault("chunk_fitness", local_evaluate.objective)  # same objective on workers
            yield make_cluster_evaluator(local_evaluate.dataset, session, **options)
    except (ClusterUnavailableError, ClusterLostError) as exc:
        if run_id is None:
            raise
        where = "failed at its last checkpoint" if isinstance(exc, ClusterLostError) else "is kept"
        raise type(exc)(f"run {run_id} {where}: {exc}; continue with `evorisk resume {run_id}` "
                        "(locally or with --cluster)") from None
