"""Network badge: PAPER / TESTNET / MAINNET, always visible; MAINNET is red."""
from __future__ import annotations

from textual.widgets import Static

NETWORK_CLASSES = {"paper": "-paper", "testnet": "-testnet", "mainnet": "-mainnet"}


class NetworkBadge(Static):
    DEFAULT_CSS = """
    NetworkBadge { width: auto; padding: 0 1; text-style: bold; }
    NetworkBadge.-paper { background: $success; color: $text; }
    NetworkBadge.-testnet { background: $warning; color: $text; }
    NetworkBadge.-mainnet { background: red; color: white; }
    """

    def __init__(self, network: str, **kwargs):
        super().__init__(network.upper(), **kwargs)
        self.add_class(NETWORK_CLASSES.get(network, "-paper"))
        self.network = network
