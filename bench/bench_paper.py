"""Paper exchange start-up with 5000 candles of every interval (issue 17: under 2 s).

Measures (1) building and starting `PaperExchange(PaperSettings())` in-process (the market's
minute history, the coarse history tiers, funding backfill, the listening socket), best and
median of several fresh builds, (2) `evorisk paper-exchange` from process start to its first
stdout line (interpreter, imports, build, listen), and (3) what each interval then serves: the
candle count and the time of one full `candleSnapshot` through the SDK.

Run: `python -m bench.bench_paper` (writes bench/RESULTS_paper.md).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hyperliquid.info import Info

from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.paper.bars import INTERVAL_MINUTES

BUILDS = 5
CLI_STARTS = 3
TARGET_S = 2.0
RESULTS = Path(__file__).with_name("RESULTS_paper.md")
ROOT = Path(__file__).resolve().parents[1]


def _build_s() -> list[float]:
    out = []
    for _ in range(BUILDS):
        t0 = time.perf_counter()
        paper = PaperExchange(PaperSettings()).start()
        out.append(time.perf_counter() - t0)
        paper.stop()
    return out


def _cli_start_s() -> list[float]:
    out = []
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))}
    env.pop("EVORISK_PRIVATE_KEY", None)
    for _ in range(CLI_STARTS):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "console.cli", "paper-exchange"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            proc.stdout.readline()  # {"base_url": ...}: it is listening
            out.append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return out


def _candles() -> list[tuple[str, int, float]]:
    rows = []
    with PaperExchange(PaperSettings(weight_budget_per_minute=10**6)) as paper:
        info = Info(paper.base_url, skip_ws=True, timeout=30)
        for interval in INTERVAL_MINUTES:
            t0 = time.perf_counter()
            candles = info.candles_snapshot("BTC", interval, 0, 2**62)
            rows.append((interval, len(candles), (time.perf_counter() - t0) * 1000))
    return rows


def run() -> str:
    builds, cli, candles = _build_s(), _cli_start_s(), _candles()
    worst = max(max(builds), max(cli))
    lines = [
        "## Paper exchange start-up with 5000 candles per interval (issue 17)", "",
        f"Command: `python -m bench.bench_paper`. Machine: 2 cores shared. Target: start-up under {TARGET_S:g} s.", "",
        "| measure | value |", "|---|---|",
        f"| build and start in-process, 4 coins (best / median of {BUILDS}) | {min(builds):.2f} s / "
        f"{statistics.median(builds):.2f} s |",
        f"| `evorisk paper-exchange` process start to listening (best / median of {CLI_STARTS}) | {min(cli):.2f} s / "
        f"{statistics.median(cli):.2f} s |",
        f"| target met (worst of all runs {worst:.2f} s) | {'yes' if worst < TARGET_S else 'NO'} |", "",
        "| interval | candles served at start-up | one full candleSnapshot (ms) |", "|---|---|---|",
        *[f"| {interval} | {n} | {ms:.0f} |" for interval, n, ms in candles], "",
        "1w and 1M stop at the Unix epoch (synthetic history starts in 1970).", "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    text = run()
    RESULTS.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
