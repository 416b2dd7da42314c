"""`evorisk backtest --data PATH... --genome FILE [--json]`: one kernel call for every genome in FILE."""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from rich.console import Console
from rich.table import Table

from console import argtypes as at
from console.exit_codes import EXIT_OK
from core.backtest.enums import METRIC_NAMES
from core.genome import load_genome_file
from core.market.ohlcv import date_text

FEE_NOTE = ("fees {fee:.2%} + slippage {slip:.2%} per side (the study's convention; Hyperliquid's "
            "taker fee is far lower, so these results are conservative)")


DATA_HELP = ("CSV files or directories, or cached Hyperliquid cand"
             "les hl:COIN,COIN[@1d|4h|1h] (fetched first when missing and --network/--base-url is given)")


def add_hl_options(p: argparse.ArgumentParser) -> None:
    """Where `hl:` data specs fetch candles the cache lacks (console.data_spec)."""
    p.add_argument("--network", choices=("paper", "testnet", "mainnet"),
                   help="hl: data: read this network's cached candles (and fetch missing coins from it)")
    p.add_argument("--base-url", help="hl: data: exchange URL to fetch missing coins from (the paper exchange's)")


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that backtests (`backtest`, `evolve`, `report`)."""
    p.add_argument("--data", nargs="+", required=True, help=DATA_HELP)
    add_hl_options(p)
    p.add_argument("--start", type=at.iso_date, help="first date of the evaluation windows (indicators use all history)")
    p.add_argument("--end", type=at.iso_date, help="windows end before this date")
    p.add_argument("--sides", choices=("long", "both"), default="long", help="test entries: long or both")
    p.add_argument("--fee", type=at.fee_fraction, default=0.0025, help="fee per side as a fraction (default 0.0025)")
    p.add_argument("--slippage", type=at.fee_fraction, default=0.0025, help="slippage per side (default 0.0025)")


def config_from_args(args: argparse.Namespace):
    from core.backtest.dataset import BacktestConfig

    return BacktestConfig(fee_pct=args.fee, slippage_pct=args.slippage, sides=args.sides,
                          start=args.start, end=args.end)


def result_dicts(dataset, result, metas) -> list[dict]:
    out = []
    names = dataset.window_regime_names()
    for p, meta in enumerate(metas):
        regimes = {}
        for name in dict.fromkeys(names):
            idx = [w for w, n in enumerate(names) if n == name]
            regimes[name] = {"windows": len(idx), "mean_score": float(result.metrics[p, idx, 0].mean())}
        windows = [
            {"start": date_text(dataset.time_ns[int(w0)]), "regime": names[w],
             **{m: float(result.metrics[p, w, j]) for j, m in enumerate(METRIC_NAMES)}}
            for w, w0 in enumerate(dataset.window_starts)]
        out.append({"fitness": float(result.fitness[p]), "regimes": regimes, "windows": dataset.n_windows,
                    "summary": result.summary(p), "per_window": windows, **({"meta": meta} if meta else {})})
    return out


def cmd_backtest(args: argparse.Namespace) -> int:
    from console.data_spec import data_loader
    from core.backtest.api import evaluate_population, load_dataset

    genomes = load_genome_file(args.genome)
    dataset = load_dataset(args.data, config_from_args(args), load=data_loader(args.data, args))
    result = evaluate_population(dataset, np.vstack([g for g, _ in genomes]))
    results = result_dicts(dataset, result, [m for _, m in genomes])
    if args.json:
        json.dump({"results": results, "eval_seconds": result.eval_seconds, "data": dataset.describe(),
                   "costs": {"fee_pct": args.fee, "slippage_pct": args.slippage}}, sys.stdout)
        sys.stdout.write("\n")
        return EXIT_OK
    print_tables(dataset, results, result.eval_seconds, args)
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
