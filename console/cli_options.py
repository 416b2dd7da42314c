"""Argument groups more than one command takes, declared once so the flags read the same
everywhere (SPEC section 11). Value checking is console/argtypes.py's."""
from __future__ import annotations

import argparse
import getpass

from console import argtypes as at

DATA_HELP = ("CSV files or directories, or cached Hyperliquid cand"
             "les hl:COIN,COIN[@1d|4h|1h] (fetched first when missing and --network/--base-url is given)")


def add_operator_option(p: argparse.ArgumentParser) -> None:
    """--by: who approves, rejects, promotes or resets (recorded with the row)."""
    p.add_argument("--by", help="operator name (default: the login name)")


def operator(args: argparse.Namespace) -> str:
    """--by, else the login name."""
    return getattr(args, "by", None) or getpass.getuser()


def add_hl_options(p: argparse.ArgumentParser) -> None:
    """Where `hl:` data specs fetch candles the cache lacks (console.services.data_spec)."""
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


def add_listing_options(p: argparse.ArgumentParser, default_limit: int, what: str = "rows") -> None:
    """--limit N (newest first) and --json, for the commands that list recorded rows."""
    p.add_argument("--limit", type=at.count, default=default_limit, help=f"how many recent {what} (default {default_limit})")
    p.add_argument("--json", action="store_true")
