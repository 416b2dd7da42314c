"""Issue 4 benchmark: our kernel against the design note's method, measured in the same process.

(a) Baseline: the design note's evaluation, reimplemented correctly with vectorbt: per genome,
    per window and per asset, ATR and volatility indicators, three OHLCSTX stop generators
    (stop, trailing, take-profit), a time exit, the weighted vote, then Portfolio.from_signals
    and its metrics. One genome at a time, as the note does.
(b) Ours: one kernel call for a population of 50 genomes over all assets and windows.
Data: the ten coins of ../shared/data/crypto-daily, 2018-01-01 to 2021-12-31.

`python -m bench.bench_kernel --against REF` adds a before/after table: the kernel of git REF (its
core/ exported to a temporary directory) and this tree's, each in its own child process, warm
children interleaved round by round so both see the same machine load, plus each one's cold compile.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("evorisk.bench.kernel")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "crypto-daily"
START, END = "2018-01-01", "2022-01-01"
POP = 50
BASELINE_GENOMES = 2  # the baseline takes seconds per genome; two are enough for a stable rate
AGAINST_ROUNDS = 5  # interleaved warm children per tree for --against
WARM_REPEATS = 7  # warm calls per child

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np
from core.backtest.api import BacktestConfig, evaluate_population, load_dataset
t_import = time.perf_counter() - t0
ds = load_dataset([sys.argv[1]], BacktestConfig(start=sys.argv[2], end=sys.argv[3]))
t_data = time.perf_counter() - t0 - t_import
genes = np.random.default_rng(0).random((int(sys.argv[4]), 22))
c1 = time.process_time(); t1 = time.perf_counter(); evaluate_population(ds, genes)
first = time.perf_counter() - t1; first_cpu = time.process_time() - c1
warm, warm_cpu = [], []
for _ in range(int(sys.argv[5])):
    c1 = time.process_time(); t1 = time.perf_counter(); r = evaluate_population(ds, genes)
    warm.append(time.perf_counter() - t1); warm_cpu.append(time.process_time() - c1)
print(json.dumps({"import_s": t_import, "dataset_s": t_data, "first_call_s": first, "first_call_cpu_s": first_cpu,
                  "warm_call_s": warm[0], "warm_s": warm, "warm_cpu_s": warm_cpu, "fitness_sum": float(r.fitness.sum()),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(cache_dir: str, root: Path = ROOT, repeats: int = 1) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(DATA), START, END, str(POP), str(repeats)], env=env,
                         capture_output=True, text=True, check=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _export_core(ref: str, dest: Path) -> None:
    """core/ of git `ref` into dest (what the kernel child imports)."""
    data = subprocess.run(["git", "archive", "--format=tar", ref, "core"], cwd=ROOT, capture_output=True,
                          check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def against(ref: str) -> str:
    """Before (git ref) / after (this tree) kernel figures measured side by side."""
    with tempfile.TemporaryDirectory() as tmp:
        before_root = Path(tmp) / "before"
        _export_core(ref, before_root)
        trees = {"before": before_root, "after": ROOT}
        caches = {name: str(Path(tmp) / f"cache-{name}") for name in trees}
        cold = {name: _child(caches[name], root) for name, root in trees.items()}  # empty caches: compile
        warm = {name: [] for name in trees}
        for _ in range(AGAINST_ROUNDS):
            for name, root in trees.items():
                warm[name].append(_child(caches[name], root, WARM_REPEATS))

    def pooled(name: str, key: str) -> list[float]:
        return sorted(x for child in warm[name] for x in child[key])

    def median(xs: list[float]) -> float:
        return xs[len(xs) // 2]

    wall = {k: pooled(k, "warm_s") for k in trees}
    cpu = {k: pooled(k, "warm_cpu_s") for k in trees}
    same = {k: {x["fitness_sum"] for x in v} for k, v in warm.items()}
    n_calls = AGAINST_ROUNDS * WARM_REPEATS
    rows = [
        (f"population of 50, one call, warm: fastest of {n_calls} (ms)", f"{wall['before'][0] * 1000:.1f}",
         f"{wall['after'][0] * 1000:.1f}", f"{wall['after'][0] / wall['before'][0]:.2f}x"),
        (f"the same, median of {n_calls} (ms)", f"{median(wall['before']) * 1000:.1f}",
         f"{median(wall['after']) * 1000:.1f}", f"{median(wall['after']) / median(wall['before']):.2f}x"),
        (f"CPU time of one call, both threads, median of {n_calls} (ms)", f"{median(cpu['before']) * 1000:.1f}",
         f"{median(cpu['after']) * 1000:.1f}", f"{median(cpu['after']) / median(cpu['before']):.2f}x"),
        ("kernel compile: first call, empty NUMBA_CACHE_DIR (wall / CPU s)",
         f"{cold['before']['first_call_s']:.1f} / {cold['before']['first_call_cpu_s']:.1f}",
         f"{cold['after']['first_call_s']:.1f} / {cold['after']['first_call_cpu_s']:.1f}",
         f"{cold['after']['first_call_cpu_s'] / cold['before']['first_call_cpu_s']:.2f}x CPU"),
        ("sum of the 50 fitnesses (same genomes)", " ".join(f"{x:.12f}" for x in same["before"]),
         " ".join(f"{x:.12f}" for x in same["after"]), ""),
    ]
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    return (f"### Before / after `{ref}` (`python -m bench.bench_kernel --against {ref}`)\n\n"
            f"{AGAINST_ROUNDS} rounds of one child process per tree, interleaved, {WARM_REPEATS} warm calls each. "
            f"Machine: {os.cpu_count()} cores.\n\n"
            "| measure | before | after | after / before |\n|---|---|---|---|\n" + table)


def baseline_fitness(ds, genes: np.ndarray) -> float:
    """The design note's per-window vectorbt method for one genome, with its bugs fixed (stops on
    real OHLC, fills at stop prices, a time exit that counts, momentum entries without look-ahead)."""
    import pandas as pd
    import vectorbt as vbt

    from core.backtest.api import decode_matrix
    from core.backtest.enums import (HIGH_VOL_RATIO, MAX_HOLD, SL_PCT, TP_PCT, TRAIL_PCT, VOL_LOOKBACK,
                                     VOL_MULT, W_SL, W_TP, W_TRAIL)
    from core.policy import SL_MAX, SL_MIN, TP_MAX, TP_MIN, TRAIL_MAX, TRAIL_MIN, VOTE_THRESHOLD

    p = decode_matrix(genes[None])[0]
    n = ds.config.window_bars
    scores, regimes = [], []
    for w, w0 in enumerate(ds.window_starts):
        for a in np.flatnonzero(ds.participation[w]):
            sl_ = slice(int(w0), int(w0) + n)
            o, h, lo, c = (pd.Series(x[a, sl_]) for x in (ds.open, ds.high, ds.low, ds.close))
            entries = pd.Series(np.concatenate(([False], ds.entry_long[a, sl_][:-1])))
            lb = int(p[VOL_LOOKBACK])
            vbt.ATR.run(h, lo, c, window=lb)
            vol = c.pct_change().rolling(lb).std()
            ratio = (vol / vol.rolling(100, min_periods=1).mean()).fillna(1.0)
            ratio = ratio.where(ratio <= p[HIGH_VOL_RATIO], ratio)
            sl = (p[SL_PCT] * (1 + (ratio - 1) * p[VOL_MULT])).clip(SL_MIN, SL_MAX)
            tr = (p[TRAIL_PCT] * (1 + (ratio - 1) * p[VOL_MULT] * 0.5)).clip(TRAIL_MIN, TRAIL_MAX)
            tp = (p[TP_PCT] * (1 + (ratio - 1) * p[VOL_MULT] * 0.3)).clip(TP_MIN, TP_MAX)
            ex_sl = vbt.OHLCSTX.run(entries, o, h, lo, c, sl_stop=sl.values).exits
            ex_tr = vbt.OHLCSTX.run(entries, o, h, lo, c, sl_stop=tr.values, sl_trail=True).exits
            ex_tp = vbt.OHLCSTX.run(entries, o, h, lo, c, tp_stop=tp.values).exits
            held = entries.cumsum().groupby(entries.cumsum()).cumcount()
            time_exit = (held >= int(p[MAX_HOLD])) & (entries.cumsum() > 0)
            vote = p[W_SL] * ex_sl.astype(float) + p[W_TRAIL] * ex_tr.astype(float) + p[W_TP] * ex_tp.astype(float)
            exits = (vote > VOTE_THRESHOLD) | time_exit
            pf = vbt.Portfolio.from_signals(c, entries, exits, open=o, high=h, low=lo, price=o, init_cash=10_000,
                                            fees=ds.config.fee_pct, slippage=ds.config.slippage_pct, freq="1D")
            sharpe = np.nan_to_num(pf.sharpe_ratio(), nan=0.0)
            mdd = np.nan_to_num(pf.max_drawdown(), nan=0.0)
            win = np.nan_to_num(pf.trades.win_rate(), nan=0.0)
            pfac = np.nan_to_num(pf.trades.profit_factor(), nan=0.0, posinf=3.0)
            scores.append(0.4 * sharpe + 0.3 * (1 - mdd) + 0.2 * win + 0.1 * min(pfac, 3.0))
            regimes.append(int(ds.window_regime[w]))
    means = [np.mean([s for s, r in zip(scores, regimes) if r == k]) for k in sorted(set(regimes))]
    return float(np.mean(means) / (1 + np.std(means)))


def run() -> str:
    from core.backtest.api import BacktestConfig, evaluate_population, load_dataset

    ds = load_dataset([DATA], BacktestConfig(start=START, end=END))
    genes = np.random.default_rng(0).random((POP, 22))
    evaluate_population(ds, genes)  # warm (compiled or loaded from cache)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        evaluate_population(ds, genes)
        runs.append(time.perf_counter() - t0)
    ours_pop_s = float(np.median(runs))
    ours_per_genome = ours_pop_s / POP

    t0 = time.perf_counter()
    for g in genes[:BASELINE_GENOMES]:
        baseline_fitness(ds, g)
    base_per_genome = (time.perf_counter() - t0) / BASELINE_GENOMES

    with tempfile.TemporaryDirectory() as cold_cache:
        cold = _child(cold_cache)
    warm = _child(os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba")))
    n_assets, n_windows = len(ds.names), ds.n_windows
    log.info("kernel %.4f s / population of %d, baseline %.3f s / genome", ours_pop_s, POP, base_per_genome)
    rows = [
        ("data", f"{n_assets} assets, {n_windows} windows of 180 bars, {START} to {END}"),
        ("population of 50, one kernel call (warm, median of 5)", f"{ours_pop_s * 1000:.1f} ms"),
        ("ours: seconds per genome evaluation", f"{ours_per_genome:.6f} s"),
        ("baseline (design note method, vectorbt, one genome at a time)", f"{base_per_genome:.2f} s per genome"),
        ("speed ratio per genome evaluation", f"{base_per_genome / ours_per_genome:,.0f}x"),
        ("cold start: import + dataset + first call incl. compile (empty cache)",
         f"{cold['import_s'] + cold['dataset_s'] + cold['first_call_s']:.1f} s"),
        ("cached start: import + dataset + first call (warm cache)",
         f"{warm['import_s'] + warm['dataset_s'] + warm['first_call_s']:.2f} s"),
        ("  of which kernel load + first call (warm cache)", f"{warm['first_call_s']:.2f} s"),
        ("peak memory of the kernel process (max RSS)", f"{warm['maxrss_mb']:.0f} MB"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return ("## Backtest kernel vs the design note's method (issue 4)\n\n"
            f"Machine: {os.cpu_count()} cores. Command: `make bench` (bench/bench_kernel.py).\n\n"
            "| measure | value |\n|---|---|\n" + table)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="git ref whose kernel is the 'before'")
    parser.add_argument("--only-against", action="store_true", help="skip the vectorbt baseline table")
    args = parser.parse_args()
    parts = [] if args.only_against else [run()]
    if args.against:
        parts.append(against(args.against))
    sys.stdout.write("\n\n".join(parts) + "\n")
