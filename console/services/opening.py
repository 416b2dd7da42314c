"""The one place that opens the SQLite store and the exchange gateways.

CLI commands, the console and the data resolver all come here, so the database is always refused
the same way (not SQLite, or written by a newer evorisk) and logging always lands in its .log file
and app_log table; and a gateway is signing only where a caller asked for one.
"""
from __future__ import annotations

import logging
from pathlib import Path

from core.exchange.gateway import HyperliquidGateway
from storage import Store, default_db_path
from storage.logsetup import configure_logging
from storage.open import open_store_checked


def store_path(db: str | Path | None) -> Path:
    """--db, else $EVORISK_DB, else the user data directory."""
    return Path(db) if db else default_db_path()


def open_store(db: str | Path | None, verbose: bool = False) -> Store:
    """The CLI's store (refused in one line when it is not a database we can open), with logging to
    its .log file and app_log table; --verbose also logs debug records to stderr."""
    path = store_path(db)
    store = open_store_checked(path)
    configure_logging(path.with_suffix(".log"), store, logging.DEBUG if verbose else logging.INFO, stderr=verbose)
    return store


def open_args_store(args: object) -> Store:
    """open_store from a parsed command line's --db and --verbose."""
    return open_store(getattr(args, "db", None), bool(getattr(args, "verbose", False)))


def open_console_store(db: str | Path | None) -> Store:
    """The console's store (the CLI has checked it already before the App starts)."""
    path = store_path(db)
    store = Store(path)
    configure_logging(path.with_suffix(".log"), store)
    return store


def read_gateway(network: str, base_url: str | None, timeout_s: float) -> HyperliquidGateway:
    """A gateway without a signing key: it can only read, so mainnet needs no extra flag here."""
    return HyperliquidGateway(network, base_url=base_url, timeout_s=timeout_s, allow_mainnet=True)


def signing_gateway(network: str, base_url: str | None, address: str | None,
                    timeout_s: float | None = None, allow_mainnet: bool = False) -> HyperliquidGateway:
    """A gateway that signs with $EVORISK_PRIVATE_KEY (refused when the key is missing or bad).

    allow_mainnet only after console.mainnet_guard has passed: the key is read here."""
    extra = {} if timeout_s is None else {"timeout_s": timeout_s}
    return HyperliquidGateway.from_env(network, base_url=base_url, account_address=address,
                                       allow_mainnet=allow_mainnet, **extra)


def read_only_gateway(network: str, base_url: str | None, address: str | None,
                      timeout_s: float | None = None) -> HyperliquidGateway:
    """A gateway that never loads a key: it reads market data and the account, and cannot sign."""
    extra = {} if timeout_s is None else {"timeout_s": timeout_s}
    return HyperliquidGateway(network, base_url=base_url, account_address=address,
                              allow_mainnet=network == "mainnet", **extra)


def watch_gateway(network: str, address: str, read_only: bool) -> HyperliquidGateway:
    """The console's gateway on testnet or mainnet (after console.mainnet_guard): read-only without a
    key, else signing from the env."""
    if read_only:
        return read_only_gateway(network, None, address)
    return signing_gateway(network, None, address, allow_mainnet=network == "mainnet")


def paper_gateway(base_url: str, private_key: str | None, address: str) -> HyperliquidGateway:
    """A gateway on an in-process paper exchange, signing with a throw-away agent key (or none)."""
    return HyperliquidGateway("paper", base_url=base_url, private_key=private_key, account_address=address)
