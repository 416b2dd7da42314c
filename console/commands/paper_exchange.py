"""`evorisk paper-exchange`: the local Hyperliquid stand-in as its own process.

The first stdout line is JSON `{"base_url": ..., "demo_address": ...}` so scripts and tests can
read where to connect; everything after goes to the log. If EVORISK_PRIVATE_KEY is set, its
address may sign for the demo account (as the account itself, or as its approved agent).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading

import eth_account

from console import argtypes as at
from console.exit_codes import EXIT_OK
from core.errors import BadInputError
from core.exchange.network import private_key_from_env
from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.paper.demo import DEFAULT_DEMO_ADDRESS

MAX_PORT = 65535
SERVER_HOSTS = ("127.0.0.1", "localhost")  # IPv4 loopback only: the stdlib server binds AF_INET
log = logging.getLogger("evorisk.cli")


def cmd_paper_exchange(args: argparse.Namespace) -> int:
    if args.host not in SERVER_HOSTS:
        raise BadInputError(f"--host must be a loopback address ({', '.join(SERVER_HOSTS)}), got {args.host}")
    if not 0 <= args.port <= MAX_PORT:
        raise BadInputError(f"--port must be 0-{MAX_PORT}, got {args.port}")
    if args.demo_address and not (args.demo_address.startswith("0x") and len(args.demo_address) == 42):
        raise BadInputError(f"--demo-address must be a 42-character 0x address, got {args.demo_address}")
    key = private_key_from_env()
    signer = eth_account.Account.from_key(key).address if key else None
    demo = args.demo_address or signer or DEFAULT_DEMO_ADDRESS
    settings = PaperSettings(host=args.host, port=args.port, scenario=args.scenario, seed=args.seed,
                             demo_address=demo, speed=args.speed)
    try:
        paper = PaperExchange(settings).start()
    except OSError as exc:
        raise BadInputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    if signer and signer.lower() != demo.lower():
        paper.approve_agent(demo, signer)
    sys.stdout.write(json.dumps({"base_url": paper.base_url, "demo_address": demo}) + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()  # serve until interrupted
    except KeyboardInterrupt:
        log.info("paper exchange interrupted")
    finally:
        paper.stop()
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
