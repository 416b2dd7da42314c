"""The top bar: the console's title, the genome and data freshness, and the network badge with the
wallet watched. It watches the App's snapshot and redraws itself."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from console.widgets.badge import NetworkBadge
from core.monitor.snapshot import RiskSnapshot

DB_ERROR_CHARS = 13  # the database error's first words fit beside the data age


def freshness_text(snap: RiskSnapshot) -> str:
    age = snap.data_age_s
    fresh = "no data yet" if age is None else f"data {age:.0f}s old"
    if snap.data_error:
        fresh += f" - {snap.data_error}"
    if snap.db_error:  # the monitor can read but not write: nothing is proposed or sent
        fresh += f" - {snap.db_error.upper()[:DB_ERROR_CHARS]}: nothing stored, proposed or sent"
    return f"{snap.genome_label}  {fresh}"


class TopBar(Horizontal):
    def __init__(self, network: str, read_only: bool, **kwargs):
        super().__init__(**kwargs)
        self.network, self.read_only = network, read_only

    def compose(self) -> ComposeResult:
        yield Static("evorisk risk console" + (" (read-only)" if self.read_only else ""), classes="title")
        yield Static("data: waiting for first poll", id="freshness")
        yield NetworkBadge(self.network, id="network-badge")

    def on_mount(self) -> None:
        self.watch(self.app, "snapshot", self._show, init=False)

    def _show(self, snap: RiskSnapshot | None) -> None:
        if snap is None:
            return
        badge = self.query_one("#network-badge", NetworkBadge)
        session = getattr(self.app, "session", None)
        if not badge.wallet_shown and session is not None:
            gateway = session.service.gateway
            badge.show_wallet(gateway.account_address, gateway.signer_address)
        self.query_one("#freshness", Static).update(freshness_text(snap))
