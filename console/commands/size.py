"""`evorisk size COIN SIZE [--side long|short] [--base-url URL --address ADDR] [--json]`: the size
the active genome allows for a new position (console/services/sizing.py decides; this prints)."""
from __future__ import annotations

import argparse
import json
import sys

from console import argtypes as at
from console.exit_codes import EXIT_OK
from console.services.sizing import compute_size


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("size", parents=[common], help="the size the active genome allows for a new position")
    p.add_argument("coin", help="coin to open, e.g. BTC")
    p.add_argument("size", type=at.size_units, help="wanted size in units of the coin")
    p.add_argument("--side", choices=("long", "short"), default="long")
    p.add_argument("--network", choices=("paper", "testnet", "mainnet"), default="paper")
    p.add_argument("--base-url", help="exchange URL (the paper exchange's base_url)")
    p.add_argument("--address", required=True, type=at.address, help="account whose positions and equity count (0x...)")
    p.add_argument("--genome", help="genome file instead of the promoted genome")
    p.add_argument("--timeout", type=at.timeout_s, default=5.0, help="seconds per exchange request (default 5)")
    p.add_argument("--json", action="store_true", help="the decision as one JSON object")
    p.set_defaults(func=cmd_size)


def cmd_size(args: argparse.Namespace) -> int:
    from console.services.opening import open_args_store, read_gateway  # heavy: the store
    from storage.monitor_repo import MonitorRepo

    gateway = read_gateway(args.network, args.base_url, args.timeout)
    decision, genome_label, breaker_reason = compute_size(MonitorRepo(open_args_store(args)), gateway, args.address,
                                                          args.coin, args.side, args.size, args.genome)
    if args.json:
        sys.stdout.write(json.dumps(dict(decision.to_dict(), genome=genome_label, breaker_reason=breaker_reason,
                                         network=gateway.network)) + "\n")
        return EXIT_OK
    d = decision
    print(f"{d.coin} {d.side} {d.requested_size:g} requested (${d.requested_notional_usd:,.2f} at {d.mark_px:g}) "
          f"on {gateway.network}, genome: {genome_label}, breaker {d.breaker_state}: {breaker_reason}")
    print(f"allowed: {d.allowed_size:.6g} {d.coin} (${d.allowed_notional_usd:,.2f})")
    if d.limiting_factors:
        print("limited by:")
        for line in d.limiting_factors:
            print(f"  - {line}")
    else:
        print("no limit applies")
    print("checks:")
    for line in d.checks:
        print(f"  {line}")
    return EXIT_OK
