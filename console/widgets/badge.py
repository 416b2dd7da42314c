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
        self.wallet_shown = False

    def show_wallet(self, account: str | None, signer: str | None) -> None:
        """The account watched and, when an approved agent wallet signs for it, that agent too:
        reads must use the master address (the venue's common pitfall), so both are on screen."""
        self.wallet_shown = True
        if not account:
            return
        text = f"{self.network.upper()} {short_address(account)}"
        if signer and signer.lower() != account.lower():
            text += f" via agent {short_address(signer)}"
        elif not signer:
            text += " (watch only)"
        self.update(text)


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address
