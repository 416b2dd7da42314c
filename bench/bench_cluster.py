"""Benchmark: one evolution evaluated in this process and on a LocalCluster of 2 worker processes,
and a linear model of a cluster generation so a user can size a cluster for a universe.

Both runs evolve the same seed on the same Dataset and must end bit-identical. The model is
T_gen(n genomes) = overhead_s + n x genome_s / workers: it is fitted on the warm cluster by timing
batches of two sizes, and `genome_s` (one genome over every window, on one single-threaded worker)
is what scales with the universe (roughly assets x windows).

`python -m bench.bench_cluster` rewrites bench/RESULTS_cluster.md; `make bench` calls `run()`.
"""
from __future__ import annotations

import logging
import os
import pickle
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data" / "crypto-daily"
ASSETS = ("ADA", "BCH", "BNB", "BTC", "EOS", "ETH", "LTC", "XLM", "XMR", "XRP")
START, END = "2018-01-01", "2022-01-01"  # windows inside 2018-2021; indicators still see all history
POPULATION, GENERATIONS, SEED = 50, 20, 0
CLUSTER = "local:2"
FIT_SIZES = (4, 200)  # two batch sizes for the linear model; 200 keeps the slope well above noise
FIT_REPEATS = 5  # best of 5: the machine is shared, the minimum is the least disturbed
# the sizing example: a universe like hourly bars of 100 assets, evolved with a larger population
EXAMPLE_ASSETS, EXAMPLE_WINDOWS, EXAMPLE_POPULATION, EXAMPLE_GENERATION_S = 100, 400, 200, 10.0

log = logging.getLogger("evorisk.bench.cluster")


def _dataset():
    from core.backtest.api import BacktestConfig, build_dataset
    from core.market.loader import load_many

    series = load_many([DATA_DIR / f"{name}.csv" for name in ASSETS])
    return build_dataset(series, BacktestConfig(start=START, end=END))


def _evolve(evaluate, fingerprint: str) -> tuple[float, list[float], tuple]:
    """(wall seconds, evaluation seconds per generation, final state) for one fresh run."""
    from core.evolution import EvolutionConfig, EvolutionState, evolve

    state = EvolutionState.fresh(EvolutionConfig(population_size=POPULATION, generations=GENERATIONS, seed=SEED,
                                                 fitness="dn"),
                                 fingerprint)
    eval_s: list[float] = []
    t0 = time.perf_counter()
    evolve(state, evaluate, lambda st, stats: eval_s.append(stats.eval_s))
    return time.perf_counter() - t0, eval_s, (state.population, state.fitness, state.hall_of_fame)


def _best_time_s(evaluate, genes: np.ndarray) -> float:
    times = []
    for _ in range(FIT_REPEATS):
        t0 = time.perf_counter()
        evaluate(genes)
        times.append(time.perf_counter() - t0)
    return min(times)


def run() -> str:
    """Run locally, then on the cluster; return the markdown section."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "## Cluster evaluation (Dask)\n\nSkipped: Dask is not installed (`pip install evorisk[cluster]`).\n"
    from core.evolution.cluster import open_cluster
    from core.evolution.evaluator import BacktestEvaluator

    dataset = _dataset()
    local = BacktestEvaluator(dataset, None)
    local(np.full((1, 22), 0.5))  # load the compiled kernel before timing
    log.info("cluster bench: local run")
    local_wall_s, local_eval_s, local_final = _evolve(local, dataset.fingerprint)

    log.info("cluster bench: %s", CLUSTER)
    t0 = time.perf_counter()
    with open_cluster(CLUSTER) as session:
        start_s = time.perf_counter() - t0
        from core.evolution.cluster import make_cluster_evaluator

        t0 = time.perf_counter()
        remote = make_cluster_evaluator(dataset, session)
        scatter_s = time.perf_counter() - t0
        cluster_wall_s, cluster_eval_s, cluster_final = _evolve(remote, dataset.fingerprint)
        n_workers = session.info().n_workers
        rng = np.random.default_rng(1)
        small, large = (_best_time_s(remote, rng.random((n, 22))) for n in FIT_SIZES)
        local_large = _best_time_s(local, rng.random((FIT_SIZES[1], 22)))
    slope_s = (large - small) / (FIT_SIZES[1] - FIT_SIZES[0])  # seconds per genome with all workers
    overhead_s = max(0.0, small - slope_s * FIT_SIZES[0])
    genome_s = slope_s * n_workers  # one genome on one single-threaded worker
    identical = all(a == b for a, b in zip(local_final, cluster_final))
    n_cells = len(dataset.names) * dataset.n_windows
    example_genome_s = genome_s / n_cells * EXAMPLE_ASSETS * EXAMPLE_WINDOWS
    workers_needed = int(np.ceil(EXAMPLE_POPULATION * example_genome_s / (EXAMPLE_GENERATION_S - overhead_s)))
    dataset_mb = len(pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL)) / 1e6
    rows = [
        ("universe", f"{len(dataset.names)} daily assets, {dataset.n_windows} windows of "
                     f"{dataset.config.window_bars} bars in {START[:4]}-{int(END[:4]) - 1}"),
        ("evolution", f"population {POPULATION}, {GENERATIONS} generations after the first, seed {SEED}"),
        ("bit-identical final population, fitness and hall of fame", "yes" if identical else "NO"),
        ("local: wall time (numba, all cores of this process)", f"{local_wall_s:.2f} s"),
        (f"{CLUSTER}: wall time (excluding start and scatter)", f"{cluster_wall_s:.2f} s"),
        (f"{CLUSTER}: first generation (workers import numba, load the kernel cache)",
         f"{cluster_eval_s[0] * 1e3:.0f} ms (local: {local_eval_s[0] * 1e3:.0f} ms)"),
        (f"{CLUSTER}: later generations, median evaluation", f"{np.median(cluster_eval_s[1:]) * 1e3:.0f} ms "
                                                            f"(local: {np.median(local_eval_s[1:]) * 1e3:.0f} ms)"),
        (f"{CLUSTER}: start LocalCluster / scatter the Dataset ({dataset_mb:.1f} MB pickled) to every worker",
         f"{start_s:.2f} s / {scatter_s * 1e3:.0f} ms"),
        (f"{FIT_SIZES[1]} genomes, best of {FIT_REPEATS}: cluster / local", f"{large * 1e3:.0f} ms / {local_large * 1e3:.0f} ms"),
        ("model: per-generation overhead of the cluster", f"{overhead_s * 1e3:.0f} ms"),
        ("model: time per genome per worker (1 thread)", f"{genome_s * 1e3:.2f} ms "
                                                         f"({genome_s / n_cells * 1e6:.1f} us per asset-window)"),
        (f"sizing example: {EXAMPLE_ASSETS} assets x {EXAMPLE_WINDOWS} windows, population {EXAMPLE_POPULATION}, "
         f"a generation in {EXAMPLE_GENERATION_S:.0f} s", f"{example_genome_s * 1e3:.0f} ms per genome: "
                                                          f"{workers_needed} workers like these"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return ("## Cluster evaluation (Dask)\n\n"
            f"Machine: {os.cpu_count()} cores shared with other work; `{CLUSTER}` = 2 worker processes, 1 thread "
            "each (numba limited to its share of the cores).\n\n"
            "| measure | value |\n|---|---|\n" + table + "\n\n"
            "Sizing: a generation takes about `overhead + genomes x genome_time / workers`, and the genome "
            "time grows with assets x windows (the per asset-window figure above, measured on this CPU; the "
            "correlation gate grows faster than linearly in assets, so read it as a lower bound). "
            "Workers needed for a target generation time T: `ceil(genomes x genome_time / (T - overhead))`. "
            "Below a few hundred milliseconds of kernel time per generation the overhead dominates and "
            "one machine is faster.\n")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("distributed").setLevel(logging.WARNING)  # start/stop chatter of every worker
    section = run()
    (Path(__file__).parent / "RESULTS_cluster.md").write_text(section)
    log.info("wrote bench/RESULTS_cluster.md")
