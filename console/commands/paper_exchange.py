"""`evorisk paper-exchange`: the local Hyperliquid stand-in as its own process.

The first stdout line is JSON `{"base_url": ..., "demo_address": ...}` so scripts and tests can
read where to connect; everything after goes to the log. If EVORISK_PRIVATE_KEY is set, its
address may sign for the demo account (console/services/paper_server.py).
"""
from __future__ import annotations

import argparse
import json
import sys

from console import argtypes as at
from console.exit_codes import EXIT_OK
from core.errors import BadInputError

MAX_PORT = 65535
SERVER_HOSTS = ("127.0.0.1", "localhost")  # IPv4 loopback only: the stdlib server binds AF_INET


def cmd_paper_exchange(args: argparse.Namespace) -> int:
    if args.host not in SERVER_HOSTS:
        raise BadInputError(f"--host must be a loopback address ({', '.join(SERVER_HOSTS)}), got {args.host}")
    if not 0 <= args.port <= MAX_PORT:
        raise BadInputError(f"--port must be 0-{MAX_PORT}, got {args.port}")
    if args.demo_address and not (args.demo_address.startswith("0x") and len(args.demo_address) == 42):
        raise BadInputError(f"--demo-address must be a 42-character 0x address, got {args.demo_address}")
    from console.services.paper_server import serve_until_interrupted, start_paper_server  # heavy: the SDK

    paper, demo = start_paper_server(args.host, args.port, args.scenario, args.seed, args.speed, args.demo_address)
    sys.stdout.write(json.dumps({"base_url": paper.base_url, "demo_address": demo}) + "\n")
    sys.stdout.flush()
    serve_until_interrupted(paper)
    return EXIT_OK


def register(sub, common) -> None:
    p = sub.add_parser("paper-exchange", parents=[common], help="local Hyperliquid stand-in (paper trading)")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=at.port, default=0, help="TCP port (default 0: any free port)")
    p.add_argument("--scenario", default="demo", help="shipped scenario name or JSON file (default demo)")
    p.add_argument("--seed", type=at.seed, default=7, help="market seed (default 7)")
    p.add_argument("--demo-address", type=at.address, help="address that holds the demo positions")
    p.add_argument("--speed", type=at.speed, default=1.0,
                   help="simulated seconds per real second (default 1: real time, so venue timestamps agree "
                        "with the client's clock; the console's demo runs at 60)")
    p.set_defaults(func=cmd_paper_exchange)
