"""The paper exchange on loopback and the real SDK clients that talk to it, written once.

Every exchange started through `start_paper` is stopped after its test by the autouse fixture
`stop_paper_exchanges` in tests/conftest.py, so a failing test never leaves a server (and its
port and thread) behind. Tests reach the exchange only through what a client sees: the HTTP API
through hyperliquid's `Info` and `Exchange`, and the paper exchange's own public methods.
"""
from __future__ import annotations

import eth_account
import requests
from eth_account.signers.local import LocalAccount
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info

from core.exchange.paper import ManualClock, PaperExchange, PaperSettings

SDK_TIMEOUT_S = 5.0  # generous on a loaded 2-core machine; every SDK constructor passes one
FUNDING_USD = 100_000.0
_STARTED: list[PaperExchange] = []


def start_paper(settings: PaperSettings | None = None, clock: ManualClock | None = None) -> PaperExchange:
    """A started paper exchange on a manual clock (a fresh one unless `clock` is given), stopped
    after the current test; a module-scoped fixture uses PaperExchange as a context manager instead."""
    exchange = PaperExchange(settings or PaperSettings(), clock=clock or ManualClock()).start()
    _STARTED.append(exchange)
    return exchange


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
