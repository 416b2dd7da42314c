"""`evorisk data fetch` and `evorisk data list`: the Hyperliquid candle cache from the command line.

Registered under the `data` group by console/cli.py. The fetching is console/services/candles.py
(core.market.hl_fetch underneath); this module shows progress on a terminal and prints one line
per coin (problems on stderr, exit 2 for rejected candles, 3 for an exchange failure).
"""
from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from dataclasses import asdict

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from console import argtypes as at
from console.exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNREACHABLE
from core.market.candles import INTERVAL_MS, candle_time_text

PIPE_WIDTH_COLUMNS = 120
DEFAULT_TIMEOUT_S = 10.0  # a 5000-candle page is ~1 MB of JSON; give it more than a poll's 5 s


def add_venue_options(p: argparse.ArgumentParser, network_default: str | None) -> None:
    p.add_argument("--network", choices=("paper", "testnet", "mainnet"), default=network_default,
                   help="venue to read from" + (f" (default {network_default})" if network_default else ""))
    p.add_argument("--base-url", help="exchange URL (the paper exchange's base_url)")
    p.add_argument("--timeout", type=at.timeout_s, default=DEFAULT_TIMEOUT_S, help="seconds per request")


def register(dsub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    f = dsub.add_parser("fetch", parents=[common], help="download Hyperliquid candles into the cache")
    f.add_argument("--coins", required=True, type=at.coin_list, help="comma-separated coins, e.g. BTC,ETH,SOL")
    f.add_argument("--interval", default="1d", choices=tuple(INTERVAL_MS), metavar="INTERVAL",
                   help="candle interval: 1d (default), 4h, 1h or any Hyperliquid interval")
    f.add_argument("--since", help="first fetch only: start at this date instead of the oldest candle served")
    add_venue_options(f, "paper")
    f.add_argument("--json", action="store_true", help="one JSON document with every coin's result")
    f.set_defaults(func=cmd_fetch)

    ls = dsub.add_parser("list", parents=[common], help="what the candle cache holds")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def cmd_fetch(args: argparse.Namespace) -> int:
    from console.services.candles import CandleFetch, parse_coins  # heavy: the store
    from console.services.opening import open_args_store

    coins = parse_coins(args.coins)
    fetch = CandleFetch(open_args_store(args), args.network, args.base_url, args.timeout)
    if not args.json:
        print(f"fetching {','.join(coins)} {args.interval} from {fetch.gateway.network} ({fetch.gateway.base_url})",
              flush=True)
    with _progress(sys.stdout.isatty() and not args.json, len(coins)) as (on_progress, on_done):
        def coin_done(result) -> None:
            on_done(result)
            if not args.json:
                _print_result(result, fetch.cached(result))

        done = fetch.run(coins, args.interval, args.since, on_progress=on_progress, on_coin_done=coin_done)
    for r in done.results:
        for line in r.problems:
            sys.stderr.write(line + "\n")
    if args.json:
        print(json.dumps({"results": [dict(asdict(r), notes=r.notes) for r in done.results],
                          "weight_wait_s": done.weight_wait_s}))
    if any(r.status == "rejected" for r in done.results):
        return EXIT_BAD_INPUT
    return EXIT_UNREACHABLE if any(r.status == "failed" for r in done.results) else EXIT_OK


def _print_result(r, cached: dict | None) -> None:
    requests = f"{len(r.pages)} request(s)"
    if r.status != "ok":
        print(f"{r.coin} {r.interval}: {r.status}, nothing written ({requests}; why: see stderr)", flush=True)
        return
    if r.new_rows:
        what = (f"+{r.new_rows} candle{'' if r.new_rows == 1 else 's'} {candle_time_text(r.first_new_ms)}"
                f" .. {candle_time_text(r.last_new_ms)}")
    else:
        what = "up to date, nothing new"
    total = (f"; cache {candle_time_text(cached['first_ms'])} .. {candle_time_text(cached['last_ms'])}, "
             f"{cached['rows']} rows") if cached else ""
    print(f"{r.coin} {r.interval}: {what} ({requests}){total}", flush=True)
    for note in r.notes:
        print(f"  note: {note}", flush=True)


@contextmanager
def _progress(enabled: bool, n_coins: int):
    """A rich progress bar over the coins on a terminal, with the candles of the current coin."""
    if not enabled:
        yield (None, lambda r: None)
        return

    with Progress(TextColumn("{task.fields[coin]}"), MofNCompleteColumn(), BarColumn(),
                  TextColumn("{task.fields[candles]} candles"), transient=True) as bar:
        task = bar.add_task("fetch", total=n_coins, coin="", candles=0)
        yield (lambda coin, count: bar.update(task, coin=coin, candles=count),
               lambda r: bar.update(task, advance=1))


def cmd_list(args: argparse.Namespace) -> int:
    from console.services.candles import cache_listing  # heavy: the store
    from console.services.opening import open_args_store

    rows = cache_listing(open_args_store(args))
    if args.json:
        print(json.dumps({"candles": rows}))
        return EXIT_OK
    if not rows:
        print("the candle cache is empty; fill it with: evorisk data fetch --coins BTC,ETH --base-url URL")
        return EXIT_OK
    table = Table(title="cached candles")
    for col in ("source", "coin", "interval", "first", "last", "rows", "gaps"):
        table.add_column(col, justify="right" if col in ("rows", "gaps") else "left")
    for r in rows:
        table.add_row(r["source"], r["coin"], r["interval"], r["first"], r["last"], str(r["rows"]), str(r["gaps"]))
    # a pipe gets rich's 80 columns, which folds the times; scripts read --json anyway
    Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPE_WIDTH_COLUMNS).print(table)
    return EXIT_OK
