"""`evorisk replay --data PATH... --genome FILE [--start D] [--end D] [--json] [--html FILE]`:
the live monitor with its standing exits against the kernel on the same history
(console/services/replay.py runs it; console/views/replay.py formats it)."""
from __future__ import annotations

import argparse
import json
import sys

from console import argtypes as at
from console.exit_codes import EXIT_OK
from console.outputs import guard_output
from console.views.replay import replay_doc, table_text, write_html


def cmd_replay(args: argparse.Namespace) -> int:
    from console.services.replay import run_replay_file  # heavy: the kernel and the store

    guard_output(args.html, "--html", args, [*args.data, args.genome])  # before any work
    run = run_replay_file(args.data, args.genome, start=args.start, end=args.end, fee=args.fee,
                          slippage=args.slippage, sides=args.sides)
    doc = replay_doc(run)
    if args.html:
        write_html(args.html, run, doc)
    sys.stdout.write((json.dumps(doc) if args.json else table_text(doc)) + "\n")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("replay", parents=[common], help="live monitor vs kernel on history through the paper exchange")
    p.add_argument("--data", nargs="+", required=True, help="daily OHLCV CSV files or directories of them")
    p.add_argument("--genome", required=True, help="genome JSON file")
    p.add_argument("--start", type=at.iso_date, help="first replayed date (after a 200-bar warm-up)")
    p.add_argument("--end", type=at.iso_date, help="replay ends before this date")
    p.add_argument("--fee", type=at.fee_fraction, default=0.0025, help="fee per side (the kernel's, default 0.0025)")
    p.add_argument("--slippage", type=at.fee_fraction, default=0.0025, help="slippage per side (default 0.0025)")
    p.add_argument("--sides", choices=("long", "both"), default="long",
                   help="the kernel's test entries: long, or both (adds the mirrored shorts)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--html", help="write the equity chart and table to this HTML file")
    p.set_defaults(func=cmd_replay)
