"""`evorisk study`: the 2-million-backtest stop study (SPEC sections 10 and 11).

Prints headline tables (rich), or JSON with `--json`; `--html FILE` adds a plotly report.
Progress goes to stderr and only on a terminal, so piped stdout stays clean.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from console import argtypes as at
from console.exit_codes import EXIT_OK
from console.outputs import guard_output
from console.services.study import run_stop_study, study_config, study_document, write_study_html
from core.study.enums import EXIT_KIND_LABELS, ExitKind
from core.study.runner import StudyConfig
from core.study.summary import LEVEL_KINDS, kind_findings, pct, summary_lines

# Stop levels shown in the console's level table; the JSON and HTML have all of them.
TABLE_LEVELS_PCT = (1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100)
# Off a terminal rich assumes 80 columns, which would fold the tables; logs can be wider.
PIPE_WIDTH_CHARS = 120


def register(sub, common: argparse.ArgumentParser) -> None:
    d = StudyConfig()
    p = sub.add_parser("study", parents=[common], help="the 2-million-backtest stop study")
    p.add_argument("--data", required=True, metavar="DIR", help="directory of daily OHLCV CSVs")
    p.add_argument("--assets", type=at.coin_list, help="comma-separated coins (CSV file names), default every CSV in DIR")
    p.add_argument("--start", default=d.start, help=f"first day, UTC (default {d.start})")
    p.add_argument("--end", default=d.end, help=f"first day excluded, UTC (default {d.end})")
    p.add_argument("--windows", type=at.count, default=d.n_windows, help=f"windows per coin (default {d.n_windows})")
    p.add_argument("--window-bars", type=at.count, default=d.window_bars,
                   help=f"bars per window (default {d.window_bars})")
    p.add_argument("--seed", type=at.seed, default=d.seed, help=f"seed of the random exits (default {d.seed})")
    p.add_argument("--fee", type=at.fee_fraction, default=d.fee_rate, help="fee per side, fraction (default 0.0025)")
    p.add_argument("--slippage", type=at.fee_fraction, default=d.slippage_rate,
                   help="slippage per side, fraction (default 0.0025)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    p.set_defaults(func=cmd_study)


def cmd_study(args: argparse.Namespace) -> int:
    guard_output(args.html, "--html", args, [args.data])  # never over the --db file or a data file
    config = study_config(start=args.start, end=args.end, windows=args.windows, window_bars=args.window_bars,
                          seed=args.seed, fee=args.fee, slippage=args.slippage)
    assets = args.assets.split(",") if args.assets else None
    with Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("loading data", total=None)
        outcome = run_stop_study(args.data, assets, config,
                                 on_stage=lambda stage, total: progress.update(task, description=stage, total=total,
                                                                               completed=0),
                                 on_progress=lambda done, total: progress.update(task, completed=done))
    if args.html:
        write_study_html(outcome, args.html)
    if args.json:
        sys.stdout.write(json.dumps(study_document(outcome, args.html)) + "\n")
        return EXIT_OK
    out = Console(soft_wrap=True)
    if not out.is_terminal:  # pipes and logs: wide enough that no table column is cut
        out = Console(soft_wrap=True, width=max(out.width, PIPE_WIDTH_CHARS))
    _print_tables(out, outcome.result, outcome.stats, outcome.elapsed_s)
    if args.html:
        Console().print(f"wrote {args.html}")
    return EXIT_OK


def _print_tables(console, result, stats, elapsed_s: float) -> None:
    overall = stats.overall
    head = Table(title=f"Stop study: {result.n_backtests:,} backtests, {len(result.assets)} coins x "
                       f"{result.window_starts.shape[0]} windows ({result.config.start} to {result.config.end})")
    for col in ("exit kind", "best level", "mean", "median", "win rate", "beats hold",
                "levels with mean > hold", "exits early"):
        head.add_column(col, justify="left" if col == "exit kind" else "right")
    hold = ExitKind.Hold
    head.add_row("hold", "-", pct(overall.mean_return[hold, 0]), pct(overall.median_return[hold, 0]),
                 f"{overall.win_rate[hold, 0]:.1%}", "-", "-", "0.0%")
    for kind in LEVEL_KINDS[:3]:
        f = kind_findings(overall, result.stop_levels, kind)
        best = int(np.argmax(overall.mean_return[kind]))
        head.add_row(EXIT_KIND_LABELS[kind], f"{f['best_level_pct']}%", pct(f["best_mean_return"]),
                     pct(f["best_median_return"]), f"{f['best_win_rate']:.1%}",
                     f"{f['best_beat_hold_share']:.1%}", f"{len(f['levels_mean_above_hold'])}/{len(result.stop_levels)}",
                     f"{overall.early_exit_share[kind, best]:.1%}")
    rnd = ExitKind.Random
    head.add_row("random exit", "all draws", pct(overall.mean_return[rnd].mean()),
                 pct(float(np.median(overall.median_return[rnd]))), f"{overall.win_rate[rnd].mean():.1%}",
                 f"{overall.beat_hold_share[rnd].mean():.1%}", "-", f"{overall.early_exit_share[rnd].mean():.1%}")
    console.print(head)

    levels_pct = [int(v) for v in (result.stop_levels * 100).round()]
    by_level = Table(title=f"Mean (median) total return by stop level; hold: {pct(overall.mean_return[hold, 0])} "
                           f"({pct(overall.median_return[hold, 0])})")
    by_level.add_column("stop level", justify="right")
    for kind in LEVEL_KINDS:
        by_level.add_column(EXIT_KIND_LABELS[kind], justify="right")
    for lv in (lv for lv in TABLE_LEVELS_PCT if lv in levels_pct):
        i = levels_pct.index(lv)
        by_level.add_row(f"{lv}%", *(f"{pct(overall.mean_return[k, i])} ({pct(overall.median_return[k, i])})"
                                     for k in LEVEL_KINDS))
    console.print(by_level)

    regimes = Table(title="By window regime: hold's mean, and each stop kind's best level by mean")
    for col in ("regime", "windows", "hold", *(EXIT_KIND_LABELS[k] for k in LEVEL_KINDS)):
        regimes.add_column(col, justify="left" if col == "regime" else "right")
    for name, s in stats.by_regime.items():
        cells = []
        for kind in LEVEL_KINDS[:3]:
            f = kind_findings(s, result.stop_levels, kind)
            cells.append(f"{f['best_level_pct']}%: {pct(f['best_mean_return'])}")
        cells.append(f"all draws: {pct(s.mean_return[rnd].mean())}")
        regimes.add_row(name, str(s.n_samples), pct(s.mean_return[hold, 0]), *cells)
    console.print(regimes)
    for line in summary_lines(result, stats):
        console.print(f"- {line}", highlight=False)
    console.print(f"{elapsed_s:.2f} s (backtest kernel {result.kernel_s:.2f} s)", highlight=False)
