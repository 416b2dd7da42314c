"""`evorisk size COIN SIZE [--side long|short] [--base-url URL --address ADDR] [--json]`.

Gathers what core.monitor.sizing.size_new_position needs: the account and mids from the
gateway, the active genome (newest promotion, else the default; or --genome), the persisted
monitor state for the breaker, and 1h x 7 days correlation computed like the monitor's.
"""
from __future__ import annotations

import argparse
import json
import sys

from console.exit_codes import EXIT_OK
from console import argtypes as at


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


def hourly_correlation(gateway, coins: tuple[str, ...], venue_now_ms: int):
    """The monitor's correlation input: completed 1h candles over 7 days of every coin.

    Unlike the monitor's CandleCache (which keeps its last values on a failed refresh), an
    exchange error here ends the command: a correlation gate that silently passed because the
    candles were rate limited would size a correlated position as if it were not.
    """
    from core.monitor.indicators import correlation_matrix
    from core.monitor.market_data import hourly_closes

    return correlation_matrix({c: hourly_closes(gateway, c, venue_now_ms) for c in coins}, coins)


def compute_size(repo, gateway, address: str, coin: str, side: str, size: float, genome_file: str | None = None):
    """(SizingDecision, genome label, breaker reason) for a new position: shared by `evorisk size`
    and the console's sizing dialog."""
    from core.errors import BadInputError
    from core.monitor.genome_source import GenomeSource
    from core.monitor.sizing import effective_breaker_state, size_new_position
    from core.monitor.state import MonitorState

    params, genome_label = GenomeSource(repo, genome_file)()
    account = gateway.account_state(address)
    mids = gateway.mids()
    if coin not in mids:
        raise BadInputError(f"unknown coin {coin!r} on {gateway.network}")
    saved = repo.get_monitor_state()
    state, breaker_reason = effective_breaker_state(MonitorState.from_json(saved) if saved else None,
                                                    account.equity_usd, params)
    coins = tuple(sorted({p.coin for p in account.positions} | {coin}))
    matrix = hourly_correlation(gateway, coins, account.time_ms) if len(coins) >= 2 else None
    liquidation = liquidation_inputs(gateway, params, account, coin, side, state)
    decision = size_new_position(params, account, coin, side, size, mids[coin], state, coins, matrix, liquidation)
    return decision, genome_label, breaker_reason


def liquidation_inputs(gateway, params, account, coin: str, side: str, state: int):
    """The genome's stop distance (neutral indicators: no candles are read here) and the coin's
    and the book's maintenance margins, from `meta`; None when the venue lists no max leverage."""
    from core import policy
    from core.monitor.indicators import CoinIndicators
    from core.monitor.levels import distances
    from core.monitor.sizing import LiquidationInputs
    from core.operator_settings import load_settings

    leverages = gateway.max_leverages()
    if coin not in leverages:
        return None
    other = sum(p.notional_usd * policy.maintenance_fraction(leverages.get(p.coin, leverages[coin]))
                for p in account.positions if p.coin != coin)
    stop, _, _ = distances(params, CoinIndicators(), 0.0, 1 if side == "long" else -1, policy.stops_tightened(state))
    return LiquidationInputs(leverages[coin], other, stop, load_settings().risk.liquidation_buffer_fraction)


def cmd_size(args: argparse.Namespace) -> int:
    from console.cli import open_store
    from console.data_spec import read_gateway
    from storage.monitor_repo import MonitorRepo

    gateway = read_gateway(args.network, args.base_url, args.timeout)
    decision, genome_label, breaker_reason = compute_size(MonitorRepo(open_store(args)), gateway, args.address,
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
