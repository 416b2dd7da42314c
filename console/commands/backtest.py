"""`evorisk backtest --data PATH... --genome FILE [--json]`: one kernel call for every genome in FILE
(console/services/backtest.py); this module parses and prints."""
from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from console.cli_options import add_data_options
from console.exit_codes import EXIT_OK

FEE_NOTE = ("fees {fee:.2%} + slippage {slip:.2%} per side (the study's convention; Hyperliquid's "
            "taker fee is far lower, so these results are conservative)")


def cmd_backtest(args: argparse.Namespace) -> int:
    from console.services.backtest import backtest_genome_file  # heavy: the kernel (numba)

    done = backtest_genome_file(args.genome, args.data, fee=args.fee, slippage=args.slippage, sides=args.sides,
                                start=args.start, end=args.end, source_args=args)
    if args.json:
        json.dump({"results": done.results, "eval_seconds": done.eval_seconds, "data": done.dataset.describe(),
                   "costs": {"fee_pct": args.fee, "slippage_pct": args.slippage}}, sys.stdout)
        sys.stdout.write("\n")
        return EXIT_OK
    print_tables(done.dataset, done.results, done.eval_seconds, args)
    return EXIT_OK


def print_tables(dataset, results, eval_seconds: float, args) -> None:
    console = Console(soft_wrap=True)
    console.print(f"[bold]{dataset.describe()}[/]  {FEE_NOTE.format(fee=args.fee, slip=args.slippage)}")
    for i, r in enumerate(results):
        console.print(f"\n[bold]genome {i}[/]  fitness [bold cyan]{r['fitness']:.4f}[/]  "
                      f"({r['windows']} windows, kernel {eval_seconds * 1000:.1f} ms for {len(results)} genome(s))")
        reg = Table(title="per regime")
        for col in ("regime", "windows", "mean score"):
            reg.add_column(col, justify="left" if col == "regime" else "right")
        for name, v in r["regimes"].items():
            reg.add_row(name, str(v["windows"]), f"{v['mean_score']:.3f}")
        console.print(reg)
        win = Table(title="per window")
        for col in ("start", "regime", "score", "return", "sharpe", "max dd", "win rate", "PF", "trades"):
            win.add_column(col, justify="left" if col in ("start", "regime") else "right",
                           no_wrap=col in ("start", "regime"), min_width=17 if col == "regime" else None)
        for w in r["per_window"]:
            win.add_row(w["start"], w["regime"], f"{w['score']:.3f}", f"{w['total_return']:+.1%}",
                        f"{w['sharpe']:.2f}", f"{w['max_drawdown']:.1%}", f"{w['win_rate']:.0%}",
                        f"{w['profit_factor']:.2f}", f"{w['trades']:.0f}")
        console.print(win)


def register(sub, common) -> None:
    p = sub.add_parser("backtest", parents=[common], help="backtest one or more genomes")
    add_data_options(p)
    p.add_argument("--genome", required=True, help='JSON {"genes": [22 floats]} or a list of them')
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_backtest)
