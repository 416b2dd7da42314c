"""Benchmark: the full 2,000,000-backtest stop study, numba kernel vs vectorbt columnar.

Both engines run on /work/shared/data/crypto-daily in the same `run()`, each in its own
subprocess so its peak resident memory (ru_maxrss) is its own. The kernel is timed three
ways: cold (empty temporary NUMBA_CACHE_DIR: compile + run), first call of a fresh process
with the project cache (cache load + run) and warm (repeats in that process). vectorbt runs
one `Portfolio.from_signals` per (coin, exit kind) with all 400 windows x 100 levels as
columns; hold is a plain calculation. The parent then checks that both agree on every
backtest.
"""
from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data" / "crypto-daily"
PROJECT_CACHE = ROOT / ".cache" / "numba"
WARM_REPEATS = 5  # enough to see the spread on a shared 2-core machine
AGREE_ATOL = 1e-9  # the same tolerance as the correctness tests

log = logging.getLogger("evorisk.bench.study")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def _kernel_worker(out_dir: Path) -> dict:
    from core.study.aggregate import aggregate
    from core.study.runner import StudyConfig, load_study_inputs, run_study

    config = StudyConfig()
    rss_before_mb = _maxrss_mb()
    t0 = time.perf_counter()
    inputs = load_study_inputs(DATA_DIR, None, config.start, config.end)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run_study(inputs, config)
    aggregate(result)
    first_s = time.perf_counter() - t0
    study_s, kernel_s = [], []
    for _ in range(WARM_REPEATS):
        t0 = time.perf_counter()
        result = run_study(inputs, config)
        aggregate(result)
        study_s.append(time.perf_counter() - t0)
        kernel_s.append(result.kernel_s)
    np.save(out_dir / "kernel_returns.npy", result.total_returns)
    np.save(out_dir / "kernel_offsets.npy", result.exit_offsets)
    return {"load_s": load_s, "first_s": first_s, "study_s": study_s, "kernel_s": kernel_s,
            "backtests": result.n_backtests, "rss_before_mb": rss_before_mb, "maxrss_mb": _maxrss_mb()}


def _vectorbt_worker(out_dir: Path) -> dict:
    from core.study.enums import N_EXIT_KINDS, ExitKind
    from core.study.runner import StudyConfig, evenly_spaced_starts, load_study_inputs, random_exit_offsets
    from core.study.study_nb import long_total_return_nb
    from core.study.vectorbt_reference import vectorbt_backtests

    config = StudyConfig()
    inputs = load_study_inputs(DATA_DIR, None, config.start, config.end)
    starts = evenly_spaced_starts(inputs.close.shape[1], config.n_windows, config.window_bars)
    levels = config.stop_levels()
    random_bars = random_exit_offsets(inputs.assets, config.n_windows, config.n_levels, config.window_bars,
                                      config.seed)
    n_assets, n_windows, n_levels = len(inputs.assets), starts.size, levels.size
    n_cols = n_windows * n_levels  # column = window-major, level-minor, like the kernel's axes
    col_starts, col_levels = np.repeat(starts, n_levels), np.tile(levels, n_windows)
    t0 = time.perf_counter()  # first call in a process pays vectorbt's uncached compilation
    vectorbt_backtests(inputs.open, inputs.high, inputs.low, inputs.close, np.zeros(4, np.int64),
                       starts[:4], config.window_bars, np.arange(4), levels[:4], random_bars[0, 0, :4],
                       config.fee_rate, config.slippage_rate)
    warmup_s = time.perf_counter() - t0
    returns = np.empty((n_assets, n_windows, N_EXIT_KINDS, n_levels))
    offsets = np.empty((n_assets, n_windows, N_EXIT_KINDS, n_levels), dtype=np.int64)
    t0 = time.perf_counter()
    for a in range(n_assets):
        for kind in (ExitKind.StopLoss, ExitKind.TrailingStop, ExitKind.TakeProfit, ExitKind.Random):
            r, o = vectorbt_backtests(inputs.open, inputs.high, inputs.low, inputs.close,
                                      np.full(n_cols, a), col_starts, config.window_bars, np.full(n_cols, kind),
                                      col_levels, random_bars[a].reshape(-1), config.fee_rate,
                                      config.slippage_rate)
            returns[a, :, kind, :] = r.reshape(n_windows, n_levels)
            offsets[a, :, kind, :] = o.reshape(n_windows, n_levels)
        entry = inputs.close[a, starts]
        exit_ = inputs.close[a, starts + config.window_bars - 1]
        hold = [long_total_return_nb(e, x, config.fee_rate, config.slippage_rate) for e, x in zip(entry, exit_)]
        returns[a, :, ExitKind.Hold, :] = np.asarray(hold)[:, None]
        offsets[a, :, ExitKind.Hold, :] = config.window_bars - 1
    study_s = time.perf_counter() - t0
    np.save(out_dir / "vbt_returns.npy", returns)
    np.save(out_dir / "vbt_offsets.npy", offsets)
    return {"warmup_s": warmup_s, "study_s": study_s, "calls": n_assets * 4, "columns_per_call": n_cols,
            "maxrss_mb": _maxrss_mb()}


def _spawn(mode: str, out_dir: Path, cache_dir: Path) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "bench.bench_study", mode, str(out_dir)], cwd=ROOT, env=env,
                   check=True, capture_output=True, text=True)
    return json.loads((out_dir / f"{mode}.json").read_text())


def _machine() -> str:
    import numba

    load1, load5, _ = os.getloadavg()
    return (f"{os.cpu_count()} CPUs, numba {numba.__version__} with {numba.config.NUMBA_NUM_THREADS} threads, "
            f"load average {load1:.2f} (1 min) / {load5:.2f} (5 min) at the end of the run")


def run() -> str:
    """Run both engines and return the markdown section for bench/RESULTS.md."""
    with tempfile.TemporaryDirectory(prefix="evorisk-bench-study-") as tmp:
        out_dir = Path(tmp)
        log.info("study bench: kernel, cold numba cache")
        cold = _spawn("kernel", out_dir, out_dir / "numba-cold")
        _spawn("kernel", out_dir, PROJECT_CACHE)  # make sure the project cache holds this build
        log.info("study bench: kernel, warm")
        warm = _spawn("kernel", out_dir, PROJECT_CACHE)
        log.info("study bench: vectorbt columnar (slow)")
        vbt = _spawn("vectorbt", out_dir, PROJECT_CACHE)
        diff = np.abs(np.load(out_dir / "kernel_returns.npy") - np.load(out_dir / "vbt_returns.npy"))
        offsets_differ = int(np.sum(np.load(out_dir / "kernel_offsets.npy") != np.load(out_dir / "vbt_offsets.npy")))
    warm_study_s = min(warm["study_s"])
    warm_kernel_s = min(warm["kernel_s"])
    ratio = vbt["study_s"] / warm_study_s
    agree = bool(diff.max() <= AGREE_ATOL and offsets_differ == 0)
    rows = [
        ("backtests", f"{warm['backtests']:,} (10 coins x 400 windows x 5 exit kinds x 100 levels)"),
        ("kernel, cold (empty cache: compile + run + aggregate)", f"{cold['first_s']:.2f} s"),
        ("kernel compile time (cold first call minus warm study)", f"{cold['first_s'] - min(warm['study_s']):.2f} s"),
        ("kernel, first call of a new process (cache load + run)", f"{warm['first_s']:.2f} s"),
        ("kernel, warm: backtest kernel only (best of 5)", f"{warm_kernel_s:.3f} s"),
        ("kernel, warm: study = windows + regimes + kernel + statistics (best of 5 / median)",
         f"{warm_study_s:.3f} s / {float(np.median(warm['study_s'])):.3f} s"),
        ("CSV load and validation (10 files)", f"{warm['load_s']:.2f} s"),
        ("vectorbt columnar: 40 from_signals calls x 40,000 columns + hold", f"{vbt['study_s']:.1f} s "
         f"(plus {vbt['warmup_s']:.1f} s first-call warm-up, not counted)"),
        ("speed ratio, vectorbt / kernel warm study", f"{ratio:.0f}x"),
        ("speed ratio, vectorbt / backtest kernel only", f"{vbt['study_s'] / warm_kernel_s:.0f}x"),
        ("peak RSS, kernel process (Python + numba + data + results)",
         f"{warm['maxrss_mb']:.0f} MB (at start, numpy loaded and numba not yet: {warm['rss_before_mb']:.0f} MB)"),
        ("peak RSS, kernel process with cold compile", f"{cold['maxrss_mb']:.0f} MB"),
        ("peak RSS, vectorbt process", f"{vbt['maxrss_mb']:.0f} MB"),
        ("agreement (all 2,000,000 total returns, exit bars)",
         f"{'yes' if agree else 'NO'}: max abs diff {diff.max():.2e}, exit bars differing: {offsets_differ}"),
    ]
    targets = [
        ("full study < 5 s warm", warm_study_s < 5.0),
        (">= 7x faster than vectorbt columnar", ratio >= 7.0),
        ("peak memory < 1 GB (kernel process)", max(warm["maxrss_mb"], cold["maxrss_mb"]) < 1024),
        ("engines agree to 1e-9", agree),
    ]
    lines = ["## Stop study (`evorisk study`): numba kernel vs vectorbt 1.2 columnar", "",
             "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "Targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in targets) + ".",
              "", f"Machine: {_machine()}. The machine is shared, so timings carry noise from other work.",
              "Fees 0.25% and slippage 0.25% per side (Hyperliquid's taker fee is far lower); vectorbt runs "
              "with `stop_exit_price='stopmarket'` so both charge slippage on stop fills."]
    return "\n".join(lines)


def _worker_main(mode: str, out_dir: str) -> int:
    workers = {"kernel": _kernel_worker, "vectorbt": _vectorbt_worker}
    result = workers[mode](Path(out_dir))
    (Path(out_dir) / f"{mode}.json").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3:
        raise SystemExit(_worker_main(sys.argv[1], sys.argv[2]))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    section = run()
    (ROOT / "bench" / "RESULTS_study.md").write_text(section + "\n")
    log.info("%s", section)
