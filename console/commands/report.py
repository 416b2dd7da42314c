"""`evorisk report RUN_ID [--html FILE] [--json]` and `evorisk export RUN_ID FILE`.

`report` rebuilds the run's training and test windows from its recorded data paths and
walk-forward split, and compares the run's best genome out of sample against the baselines
(core.report). `export` writes the best genome to a genome file (`{"genes", "run_id", "fitness"}`)
that `backtest --genome` and `genome show` read. Both live here because both answer "what did
this run produce?", and one module keeps the CLI registry to a single line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from console import argtypes as at
from console.exit_codes import EXIT_OK
from console.outputs import guard_output
from console.views.report import report_renderables

PIPE_WIDTH_COLUMNS = 140


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("report", parents=[common], help="out-of-sample report of an evolution run")
    r.add_argument("run_id", type=at.row_id)
    r.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page with plots")
    r.add_argument("--json", action="store_true", help="print the report document as JSON")
    r.add_argument("--data", nargs="+", metavar="PATH", help="the run's data moved: read it from here")
    r.add_argument("--random-genomes", type=at.count, default=200, help="random genomes for the median (default 200)")
    r.set_defaults(func=cmd_report)

    x = sub.add_parser("export", parents=[common], help="write a run's best genome to a genome file")
    x.add_argument("run_id", type=at.row_id)
    x.add_argument("file", help="genome file to write (JSON)")
    x.set_defaults(func=cmd_export)


def cmd_report(args: argparse.Namespace) -> int:
    from console.services import report as service  # heavy: the store and the kernel
    from console.services.opening import open_args_store

    guard_output(args.html, "--html", args, args.data)  # before any work: never over the db or the data
    store = open_args_store(args)
    doc = service.report_for(store, args.run_id, args.data, args.random_genomes)
    if args.html:
        guard_output(args.html, "--html", args, args.data or service.recorded_data_paths(store, args.run_id))
        service.write_html(doc, args.html)
    if args.json:
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        _print_report(doc, args.html)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from console.services.opening import open_args_store
    from console.services.report import export_best_genome

    guard_output(args.file, "FILE", args)  # the genome file must never replace the database
    champion, source = export_best_genome(open_args_store(args), args.run_id, args.file)
    Console(soft_wrap=True).print(f"wrote {Path(args.file)}: best genome of run {args.run_id} "
                                  f"(fitness {champion.fitness:.6f}, from the {source})")
    return EXIT_OK


def _print_report(doc: dict, html_path: str | None) -> None:
    # a pipe gets rich's 80 columns by default, which truncates the table; reports are often piped
    console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPE_WIDTH_COLUMNS)
    for item in report_renderables(doc):
        console.print(item)
    if html_path:
        console.print(f"wrote {html_path}")
