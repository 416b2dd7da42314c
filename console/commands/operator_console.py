"""`evorisk console` (the default command): the Textual operator console on a terminal; without
one (CI, pipes) a plain-text summary of one live monitor cycle and the recent runs.

`--network mainnet` needs --i-understand-mainnet and the word typed on a terminal
(console.mainnet_guard) before the database, the key or the gateway is opened.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from console.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from console.mainnet_guard import require_mainnet_confirmation
from console.views.monitor_line import snapshot_line

RECENT_RUNS = 5  # runs listed by the headless summary


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    c = sub.add_parser("console", parents=[common], help="the operator console (default)")
    c.add_argument("--network", choices=("paper", "testnet", "mainnet"), default="paper")
    c.add_argument("--i-understand-mainnet", action="store_true", help=argparse.SUPPRESS)
    c.add_argument("--protect", choices=("on", "off"),
                   help="standing exit orders: on (recorded) or off (positions unprotected)")
    c.add_argument("--read-only", action="store_true", help="watch only: never approve, promote or send")
    c.set_defaults(func=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    if args.network == "mainnet":
        if not args.i_understand_mainnet:
            sys.stderr.write("evorisk: mainnet needs --i-understand-mainnet (and a typed confirmation)\n")
            return EXIT_BAD_INPUT
        require_mainnet_confirmation(sys.stdin, sys.stdout, "the console")  # before the db, the key, the gateway
    from console.services.opening import open_args_store  # heavy: the store (sqlite_utils loads pandas)

    store = open_args_store(args)
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        print(headless_summary(store, args.network))
        return EXIT_OK

    from console.app import EvoriskApp  # Textual: only this command needs it

    EvoriskApp(network=args.network, db_path=Path(store.path), protect=args.protect,
               read_only=getattr(args, "read_only", False)).run()
    return EXIT_OK


def headless_summary(store, network: str) -> str:
    """One monitor cycle on the paper demo (other networks need a terminal session) and the runs."""
    from console.services.live_session import paper_demo_cycle  # heavy: the store
    from console.services.runs import recent_runs

    lines = [f"evorisk (headless: no terminal) network={network.upper()} db={store.path}"]
    if network != "paper":
        lines.append(f"live: run in a terminal, or `evorisk monitor --headless` for {network}")
    else:
        snap = paper_demo_cycle(store)
        lines.append("live (paper demo): " + snapshot_line(snap, as_json=False))
        for p in snap.positions:
            stop = "-" if p.dist_stop is None else f"{p.dist_stop:.1%}"
            lines.append(f"  {p.coin:5} {p.side:5} size {abs(p.size):g} mark {p.mark_px:g} "
                         f"uPnL {p.unrealized_pnl_usd:+,.2f} stop {p.stop_px:g} ({stop} away)")
    runs = recent_runs(store, RECENT_RUNS)
    lines.append(f"runs: {len(runs)} recent")
    lines += [f"  run {r['id']} {r['status']} best={r['best_fitness']}" for r in runs]
    lines.append("Run in a terminal for the console; `evorisk --help` lists commands.")
    return "\n".join(lines)
