"""One monitor evaluation cycle for 50 positions, network excluded (the pure `evaluate` step on a
synthetic account: stop levels from the shared policy, breaker, correlation of 50 coins, proposals).

Run: `python -m bench.bench_monitor` (writes bench/RESULTS_monitor.md).
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from core.exchange.models import AccountState, Position
from core.genome import decode, default_genes
from core.monitor.evaluate import Context, MarketInputs, evaluate
from core.monitor.indicators import CoinIndicators
from core.monitor.state import MonitorState

N_POSITIONS = 50
REPEATS = 200
BUDGET_MS = 20.0
RESULTS = Path(__file__).with_name("RESULTS_monitor.md")


def _inputs(rng: np.random.Generator, drawdown: float) -> tuple[Context, MarketInputs, MonitorState]:
    coins = tuple(f"C{i:02d}" for i in range(N_POSITIONS))
    marks = rng.uniform(1.0, 50_000.0, N_POSITIONS)
    positions = tuple(Position(c, float(s), float(m * 1.01), float(m), 0.0, abs(float(s)) * float(m), 0.0, 5.0, None)
                      for c, s, m in zip(coins, rng.choice([-1, 1], N_POSITIONS) * 2_000 / marks, marks))
    corr = np.clip(rng.normal(0.4, 0.2, (N_POSITIONS, N_POSITIONS)), -1, 1)
    corr = (corr + corr.T) / 2
    np.fill_diagonal(corr, 1.0)
    indicators = {c: CoinIndicators(float(rng.uniform(0.5, 2)), float(rng.uniform(0, 0.05)), float(rng.normal()), 2)
                  for c in coins}
    account = AccountState(100_000.0 * (1 - drawdown), 0.0, 0.0, positions, 1_700_000_000_000)
    market = MarketInputs(account, {c: float(m) for c, m in zip(coins, marks)}, indicators, coins, corr,
                          {c: 4 for c in coins})
    return Context(decode(default_genes()), "bench", "paper", 30.0), market, MonitorState(hwm_usd=100_000.0)


def _time_ms(drawdown: float) -> list[float]:
    ctx, market, state = _inputs(np.random.default_rng(1), drawdown)
    evaluate(ctx, market, state, 0)  # warm-up
    out = []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        evaluate(ctx, market, state, i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run() -> str:
    rows = []
    for name, dd in (("NORMAL (no orders)", 0.0), ("TIGHTENED (50 stop orders)", 0.06),
                     ("EMERGENCY (50-leg exit)", 0.12)):
        ms = sorted(_time_ms(dd))
        rows.append(f"| {name} | {statistics.median(ms):.2f} | {ms[int(0.95 * len(ms))]:.2f} | {ms[-1]:.2f} |")
    worst_p95 = max(float(r.split("|")[3]) for r in rows)
    verdict = "meets" if worst_p95 < BUDGET_MS else "MISSES"
    return "\n".join([
        "## Monitor: one evaluation cycle, 50 positions",
        "",
        f"Pure `core.monitor.evaluate` on a synthetic account ({N_POSITIONS} positions, a {N_POSITIONS}x{N_POSITIONS}"
        f" correlation matrix), network and SQLite excluded, {REPEATS} repeats each.",
        "",
        "| breaker state | median ms | p95 ms | max ms |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Budget {BUDGET_MS:.0f} ms per cycle: p95 {verdict} it.",
        "",
    ])


if __name__ == "__main__":
    text = run()
    RESULTS.write_text(text, encoding="utf-8")
    import sys

    sys.stdout.write(text)
