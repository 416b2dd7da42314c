"""Plain-words findings and machine output of the stop study: numbers, not adjectives."""
from __future__ import annotations

from typing import Any

import numpy as np

from core.market.ohlcv import date_text
from core.study.aggregate import KindLevelStats, StudyStats
from core.study.enums import EXIT_KIND_KEYS, EXIT_KIND_LABELS, ExitKind
from core.study.runner import StudyResult

# The kinds whose outcome depends on the stop level (hold does not).
LEVEL_KINDS = (ExitKind.StopLoss, ExitKind.TrailingStop, ExitKind.TakeProfit, ExitKind.Random)
ENTRY_CONVENTION = ("long entry at the close of each window's first bar (vectorbt from_signals' "
                    "default order price); stops measured from that close; forced exit at the "
                    "close of the window's last bar")


def pct(fraction: float) -> str:
    """A fraction as a signed percentage with one decimal: 0.1234 -> '+12.3%'."""
    return f"{fraction * 100:+.1f}%"


def level_ranges(levels_pct: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] -> '1-3%, 7%, 9-10%' so long level lists stay readable."""
    if not levels_pct:
        return "none"
    parts, run_start, prev = [], levels_pct[0], levels_pct[0]
    for value in levels_pct[1:] + [None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(f"{run_start}%" if run_start == prev else f"{run_start}-{prev}%")
        if value is not None:
            run_start = prev = value
    return ", ".join(parts)


def _levels_pct(stop_levels: np.ndarray) -> np.ndarray:
    return np.rint(stop_levels * 100).astype(int)


def kind_findings(stats: KindLevelStats, stop_levels: np.ndarray, kind: int) -> dict[str, Any]:
    """Where one exit kind beats holding, and its best level by mean return."""
    levels = _levels_pct(stop_levels)
    hold_mean = float(stats.mean_return[ExitKind.Hold, 0])
    hold_median = float(stats.median_return[ExitKind.Hold, 0])
    mean = stats.mean_return[kind]
    best = int(np.argmax(mean))
    return {
        "levels_mean_above_hold": [int(v) for v in levels[mean > hold_mean]],
        "levels_median_above_hold": [int(v) for v in levels[stats.median_return[kind] > hold_median]],
        "levels_beat_hold_majority": [int(v) for v in levels[stats.beat_hold_share[kind] > 0.5]],
        "best_level_pct": int(levels[best]),
        "best_mean_return": float(mean[best]),
        "best_median_return": float(stats.median_return[kind, best]),
        "best_win_rate": float(stats.win_rate[kind, best]),
        "best_beat_hold_share": float(stats.beat_hold_share[kind, best]),
        "best_early_exit_share": float(stats.early_exit_share[kind, best]),
        "hold_mean_return": hold_mean,
        "hold_median_return": hold_median,
    }


def random_exit_line(stats: KindLevelStats, n_draws: int) -> str:
    """Random exits ignore the level: its 100 columns are independent seeded draws, summarised as such."""
    rnd, hold = ExitKind.Random, ExitKind.Hold
    means = stats.mean_return[rnd]
    above = int(np.sum(means > stats.mean_return[hold, 0]))
    return (f"random exit (the level is unused: {n_draws} independent seeded draws per window): mean "
            f"{pct(means.mean())} (per-draw means {pct(means.min())} to {pct(means.max())}) vs hold "
            f"{pct(stats.mean_return[hold, 0])}; median {pct(np.median(stats.median_return[rnd]))}; win rate "
            f"{stats.win_rate[rnd].mean():.1%}; beats hold in {stats.beat_hold_share[rnd].mean():.1%} of "
            f"windows; mean above hold's mean in {above}/{n_draws} draws.")


def summary_lines(result: StudyResult, stats: StudyStats) -> list[str]:
    """The study's findings as sentences with the numbers that support them."""
    overall = stats.overall
    n_levels = result.stop_levels.shape[0]
    lines = [
        f"{result.n_backtests:,} backtests: {len(result.assets)} coins x {result.window_starts.shape[0]} "
        f"windows of {result.config.window_bars} bars x {n_levels} stop levels x 5 exit kinds; "
        f"fees {result.config.fee_rate:.2%} and slippage {result.config.slippage_rate:.2%} per side.",
        f"hold: mean {pct(overall.mean_return[ExitKind.Hold, 0])}, median "
        f"{pct(overall.median_return[ExitKind.Hold, 0])}, win rate "
        f"{overall.win_rate[ExitKind.Hold, 0]:.1%} over {overall.n_samples:,} windows.",
    ]
    for kind in LEVEL_KINDS[:3]:
        f = kind_findings(overall, result.stop_levels, kind)
        lines.append(
            f"{EXIT_KIND_LABELS[kind]}: mean return above hold's mean at "
            f"{len(f['levels_mean_above_hold'])}/{n_levels} levels ({level_ranges(f['levels_mean_above_hold'])}); "
            f"median above hold's median at {len(f['levels_median_above_hold'])}/{n_levels}; "
            f"beats hold in more than half of the windows at {len(f['levels_beat_hold_majority'])}/{n_levels}. "
            f"Best level {f['best_level_pct']}%: mean {pct(f['best_mean_return'])} vs hold "
            f"{pct(f['hold_mean_return'])}, median {pct(f['best_median_return'])}, win rate "
            f"{f['best_win_rate']:.1%}, beats hold in {f['best_beat_hold_share']:.1%} of windows, "
            f"exits before the last bar in {f['best_early_exit_share']:.1%}.")
    lines.append(random_exit_line(overall, result.stop_levels.shape[0]))
    for name, regime in stats.by_regime.items():
        parts = []
        for kind in LEVEL_KINDS[:3]:
            f = kind_findings(regime, result.stop_levels, kind)
            parts.append(f"{EXIT_KIND_LABELS[kind]} beats hold's mean at {len(f['levels_mean_above_hold'])} "
                         f"levels, best {f['best_level_pct']}% {pct(f['best_mean_return'])}")
        lines.append(f"{name} ({regime.n_samples} windows, hold mean "
                     f"{pct(regime.mean_return[ExitKind.Hold, 0])}): " + "; ".join(parts) + ".")
    return lines


def _stats_json(stats: KindLevelStats) -> dict[str, Any]:
    out: dict[str, Any] = {"n_samples": stats.n_samples}
    for kind, key in enumerate(EXIT_KIND_KEYS):
        cols = {"mean_return": stats.mean_return[kind], "median_return": stats.median_return[kind],
                "win_rate": stats.win_rate[kind], "beat_hold_share": stats.beat_hold_share[kind],
                "mean_bars_held": stats.mean_bars_held[kind], "early_exit_share": stats.early_exit_share[kind]}
        if kind == ExitKind.Hold:  # one number: the level does not matter
            out[key] = {name: float(values[0]) for name, values in cols.items()}
        else:
            out[key] = {name: [round(float(v), 10) for v in values] for name, values in cols.items()}
    return out


def study_json(result: StudyResult, stats: StudyStats, elapsed_s: float) -> dict[str, Any]:
    """Everything a script needs: configuration, per-level statistics, findings, timing."""
    cfg = result.config
    return {
        "config": {
            "assets": list(result.assets), "start": cfg.start, "end": cfg.end,
            "windows": int(result.window_starts.shape[0]), "window_bars": cfg.window_bars,
            "stop_levels_pct": [int(v) for v in _levels_pct(result.stop_levels)],
            "seed": cfg.seed, "fee_rate": cfg.fee_rate, "slippage_rate": cfg.slippage_rate,
            "entry": ENTRY_CONVENTION,
            "random_exit": "exit at the close of a bar drawn uniformly from bars 1..window_bars-1 after "
                           "entry, one draw per (coin, window, level), numpy default_rng([seed, *coin bytes])",
            "first_window_start": date_text(int(result.window_start_ns[0])),
            "last_window_start": date_text(int(result.window_start_ns[-1])),
        },
        "backtests": result.n_backtests,
        "overall": _stats_json(stats.overall),
        "by_regime": {name: _stats_json(s) for name, s in stats.by_regime.items()},
        "findings": {EXIT_KIND_KEYS[k]: kind_findings(stats.overall, result.stop_levels, k) for k in LEVEL_KINDS},
        "summary": summary_lines(result, stats),
        "kernel_seconds": round(result.kernel_s, 4),
        "elapsed_seconds": round(elapsed_s, 4),
    }
