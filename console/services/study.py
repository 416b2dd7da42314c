"""`evorisk study`: the 2-million-backtest stop study on a directory of daily CSVs, aggregated
overall and per regime (core.study), as the document `--json` prints and the `--html` page."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import BadInputError
from core.study.aggregate import StudyStats, aggregate
from core.study.html_report import write_html_report
from core.study.runner import StudyConfig, StudyResult, load_study_inputs, run_study
from core.study.summary import study_json


@dataclass(frozen=True)
class StudyOutcome:
    result: StudyResult
    stats: StudyStats
    elapsed_s: float  # loading, backtests and aggregation


def study_config(*, start: str, end: str, windows: int, window_bars: int, seed: int, fee: float,
                 slippage: float) -> StudyConfig:
    for flag, value in (("--fee", fee), ("--slippage", slippage)):
        if not 0.0 <= value < 1.0:
            raise BadInputError(f"{flag} {value} must be a fraction in [0, 1)")
    return StudyConfig(start=start, end=end, n_windows=windows, window_bars=window_bars, seed=seed, fee_rate=fee,
                       slippage_rate=slippage)


def run_stop_study(data_dir: str, assets: list[str] | None, config: StudyConfig,
                   on_stage: Callable[[str, int | None], None] = lambda stage, total: None,
                   on_progress: Callable[[int, int], None] | None = None) -> StudyOutcome:
    """Load, backtest and aggregate; `on_stage(description, total coins or None)` as each begins,
    `on_progress(done, total)` per coin backtested."""
    t0 = time.perf_counter()
    on_stage("loading data", None)
    inputs = load_study_inputs(data_dir, assets, config.start, config.end)
    on_stage("backtesting (first run compiles)", len(inputs.assets))
    result = run_study(inputs, config, on_progress=on_progress)
    on_stage("aggregating", None)
    stats = aggregate(result)
    return StudyOutcome(result, stats, time.perf_counter() - t0)


def write_study_html(outcome: StudyOutcome, path: str) -> None:
    write_html_report(outcome.result, outcome.stats, path)


def study_document(outcome: StudyOutcome, html_path: str | None) -> dict[str, Any]:
    """What `study --json` prints: the findings, every level's figures, and the HTML path if written."""
    doc = study_json(outcome.result, outcome.stats, outcome.elapsed_s)
    if html_path:
        doc["html"] = html_path
    return doc
