"""The one place that opens the SQLite store and the exchange gateways.

CLI commands, the console, the replay and the data resolver all come here, so the database is
always refused the same way (not SQLite, or written by a newer evorisk) and logging always lands in
its .log file and app_log table; and a gateway is signing only where a caller asked for one. On
the paper exchange a throw-away API wallet is approved for the demo account, exactly as an
operator approves an agent on Hyperliquid: the real SDK signs every order, no secret is stored.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from storage import Store, default_db_path
from storage.logsetup import configure_logging
from storage.open import open_store_checked

if TYPE_CHECKING:  # the caller started it; the server package is not needed to open a gateway
    from core.exchange.gateway import HyperliquidGateway
    from core.exchange.paper import PaperExchange


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


def open_scratch_store(path: str | Path) -> Store:
    """A working database of the caller's own (the replay's temporary one): no log routing, so the
    operator's log file and app_log stay where the command put them."""
    return Store(Path(path))


def _sdk_gateway() -> type[HyperliquidGateway]:
    """The gateway class, imported on the first gateway opened: the exchange SDK and its signing
    stack (eth_account, hyperliquid: ~0.4 s) stay out of a process that only opens the store (the
    console's first frame, `runs`, `report`)."""
    from core.exchange.gateway import HyperliquidGateway  # heavy: the exchange SDK

    return HyperliquidGateway


def read_gateway(network: str, base_url: str | None, timeout_s: float) -> HyperliquidGateway:
    """A gateway without a signing key: it can only read, so mainnet needs no extra flag here."""
    return _sdk_gateway()(network, base_url=base_url, timeout_s=timeout_s, allow_mainnet=True)


def signing_gateway(network: str, base_url: str | None, address: str | None,
                    timeout_s: float | None = None, allow_mainnet: bool = False) -> HyperliquidGateway:
    """A gateway that signs with $EVORISK_PRIVATE_KEY (refused when the key is missing or bad).

    allow_mainnet only after console.mainnet_guard has passed: the key is read here."""
    extra = {} if timeout_s is None else {"timeout_s": timeout_s}
    return _sdk_gateway().from_env(network, base_url=base_url, account_address=address,
                                   allow_mainnet=allow_mainnet, **extra)


def read_only_gateway(network: str, base_url: str | None, address: str | None,
                      timeout_s: float | None = None) -> HyperliquidGateway:
    """A gateway that never loads a key: it reads market data and the account, and cannot sign."""
    extra = {} if timeout_s is None else {"timeout_s": timeout_s}
    return _sdk_gateway()(network, base_url=base_url, account_address=address,
                          allow_mainnet=network == "mainnet", **extra)


def watch_gateway(network: str, address: str, read_only: bool) -> HyperliquidGateway:
    """The console's gateway on testnet or mainnet (after console.mainnet_guard): read-only without a
    key, else signing from the env."""
    if read_only:
        return read_only_gateway(network, None, address)
    return signing_gateway(network, None, address, allow_mainnet=network == "mainnet")


def paper_gateway(base_url: str, private_key: str | None, address: str,
                  timeout_s: float | None = None) -> HyperliquidGateway:
    """A gateway on a paper exchange, signing with `private_key` (or reading only, without one)."""
    extra = {} if timeout_s is None else {"timeout_s": timeout_s}
    return _sdk_gateway()("paper", base_url=base_url, private_key=private_key, account_address=address, **extra)


def paper_demo_gateway(paper: PaperExchange, signing: bool = True,
                       timeout_s: float | None = None) -> HyperliquidGateway:
    """A gateway on an in-process paper exchange's demo account: signing with a fresh agent key the
    exchange approves for the account, or (signing=False) with no key at all."""
    key = None
    if signing:
        import eth_account  # heavy: the signing stack, only where a key is made

        agent = eth_account.Account.create()
        paper.approve_agent(paper.demo_address, agent.address)
        key = agent.key.hex()
    return paper_gateway(paper.base_url, key, paper.demo_address, timeout_s)


def address_of_key(private_key: str) -> str:
    """The account a private key signs for (the paper server lets it sign for the demo account)."""
    import eth_account  # heavy: the signing stack, only where a key is read

    return eth_account.Account.from_key(private_key).address
