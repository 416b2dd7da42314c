"""`evorisk data check` and `evorisk genome show`: read local files (OHLCV CSVs, a genome file) and
print what they hold; nothing is stored, no venue is reached. The checks are core's (the loader's
validation, the genome's decoding); these commands only lay them out as tables."""
from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from console.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from core.genome import GENE_SPECS, decode, decoded_rows, load_genome_file
from core.market.loader import check_files, expand_paths
from core.market.ohlcv import date_text


def register_data_check(dsub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    dc = dsub.add_parser("check", parents=[common], help="validate OHLCV CSV files")
    dc.add_argument("paths", nargs="+", help="CSV files or directories of them")
    dc.set_defaults(func=cmd_data_check)


def register_genome_show(gsub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    gs = gsub.add_parser("show", parents=[common], help="decoded parameters with units")
    gs.add_argument("file")
    gs.set_defaults(func=cmd_genome_show)


def cmd_data_check(args: argparse.Namespace) -> int:
    paths = expand_paths(args.paths)
    good, problems = check_files(paths)
    if good:
        table = Table(title="OHLCV check")
        for col in ("asset", "rows", "first", "last", "gaps (bars)", "low", "high"):
            table.add_column(col, justify="right" if col in ("rows", "gaps (bars)", "low", "high") else "left")
        for s in good:
            table.add_row(s.name, str(len(s)), date_text(s.time_ns[0]), date_text(s.time_ns[-1]),
                          str(s.gap_bars()), f"{s.low.min():.6g}", f"{s.high.max():.6g}")
        Console(soft_wrap=True).print(table)
    for line in problems:
        sys.stderr.write(line + "\n")
    return EXIT_BAD_INPUT if problems else EXIT_OK


def cmd_genome_show(args: argparse.Namespace) -> int:
    console = Console(soft_wrap=True)
    for i, (genes, meta) in enumerate(load_genome_file(args.file)):
        params = decode(genes)
        title = f"genome {i}" + (f" ({meta['label']})" if "label" in meta else "")
        table = Table(title=title)
        for col in ("#", "parameter", "gene", "value", "unit"):
            table.add_column(col, justify="right" if col in ("#", "gene", "value") else "left")
        for (idx, name, text, unit), spec in zip(decoded_rows(params), GENE_SPECS):
            table.add_row(str(idx), name, f"{genes[spec.index]:.4f}", text, unit)
        console.print(table)
    return EXIT_OK
