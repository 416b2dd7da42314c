"""`evorisk paper-exchange`: the local Hyperliquid stand-in served as its own process.

If EVORISK_PRIVATE_KEY is set, its address may sign for the demo account: as the account itself
(the default demo address becomes the key's), or as its approved agent when --demo-address names
another account. The key is read here and never printed or stored.
"""
from __future__ import annotations

import logging
import threading

from console.services.opening import address_of_key
from core.errors import BadInputError
from core.exchange.network import private_key_from_env
from core.exchange.paper import PaperExchange, PaperSettings
from core.exchange.paper.demo import DEFAULT_DEMO_ADDRESS

log = logging.getLogger("evorisk.paper.server")


def start_paper_server(host: str, port: int, scenario: str, seed: int, speed: float,
                       demo_address: str | None = None) -> tuple[PaperExchange, str]:
    """Listening on host:port (BadInputError when it cannot), the env key's address approved;
    returns the exchange and the demo account's address as given (or the key's)."""
    key = private_key_from_env()
    signer = address_of_key(key) if key else None
    demo = demo_address or signer or DEFAULT_DEMO_ADDRESS
    settings = PaperSettings(host=host, port=port, scenario=scenario, seed=seed, demo_address=demo, speed=speed)
    try:
        paper = PaperExchange(settings).start()
    except OSError as exc:
        raise BadInputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if signer and signer.lower() != demo.lower():
        paper.approve_agent(demo, signer)
    return paper, demo


def serve_until_interrupted(paper: PaperExchange) -> None:
    """Serve until Ctrl-C, then stop the server (its port is free again)."""
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        log.info("paper exchange interrupted")
    finally:
        paper.stop()
