"""The paper exchange on loopback and the real SDK clients that talk to it, written once.

Every exchange started through `start_paper` is stopped after its test by the autouse fixture
`stop_paper_exchanges` in tests/conftest.py, so a failing test never leaves a server (and its
port and thread) behind; a module-scoped fixture, whose exchange outlives each test, starts it with
`module_paper` instead, which stops it when the module is done. Tests reach the exchange only
through what a client sees: the HTTP API through hyperliquid's `Info` and `Exchange`, and the paper
exchange's own public methods.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import eth_account
import requests
from eth_account.signers.local import LocalAccount
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.exchange.paper.clock import Clock

SDK_TIMEOUT_S = 5.0  # generous on a loaded 2-core machine; every SDK constructor passes one
FUNDING_USD = 100_000.0
_STARTED: list[PaperExchange] = []


def start_paper(settings: PaperSettings | None = None, clock: ManualClock | None = None) -> PaperExchange:
    """A started paper exchange on a manual clock (a fresh one unless `clock` is given), stopped
    after the current test; a module-scoped fixture uses `module_paper` instead."""
    exchange = PaperExchange(settings or PaperSettings(), clock=clock or ManualClock()).start()
    _STARTED.append(exchange)
    return exchange


@contextmanager
def module_paper(settings: PaperSettings | None = None, clock: Clock | None = None) -> Iterator[PaperExchange]:
    """A started paper exchange for a module-scoped fixture, on a manual clock unless `clock` is
    given (a WallClock for a client that compares the venue's time with its own), stopped when the
    block ends rather than after the first test."""
    with PaperExchange(settings or PaperSettings(), clock=clock or ManualClock()) as exchange:
        yield exchange


def stop_started() -> None:
    """Stop every exchange `start_paper` started (stopping twice is harmless)."""
    while _STARTED:
        _STARTED.pop().stop()


def funded_wallet(paper: PaperExchange, usd: float = FUNDING_USD) -> LocalAccount:
    """A new wallet with an account of `usd` on the paper exchange."""
    wallet = eth_account.Account.create()
    paper.open_account(wallet.address, usd)
    return wallet


def sdk_info(paper: PaperExchange, timeout_s: float = SDK_TIMEOUT_S) -> Info:
    return Info(paper.base_url, skip_ws=True, timeout=timeout_s)


def sdk_exchange(paper: PaperExchange, wallet: LocalAccount, account_address: str | None = None,
                 timeout_s: float = SDK_TIMEOUT_S) -> Exchange:
    return Exchange(wallet, paper.base_url, account_address=account_address, timeout=timeout_s)


def post_exchange(base_url: str, action: dict, signature: dict, nonce: int,
                  timeout_s: float = SDK_TIMEOUT_S) -> dict:
    """POST one signed action to /exchange as it goes on the wire (the SDK's payload, no retries),
    for tests that must send what the SDK's public methods never would: a reused or old nonce."""
    payload = {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}
    reply = requests.post(f"{base_url}/exchange", json=payload, timeout=timeout_s)
    return reply.json()
