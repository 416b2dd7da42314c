"""Sizing dialog: how big a new position the active genome allows, each limit explained.

The check runs in a thread worker (the gateway is slow) that posts a SizeChecked message; the
screen's handler, on the UI thread, shows it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from console.services.sizing import compute_size
from core.errors import EvoriskError
from core.exchange.errors import ExchangeError
from core.monitor.sizing import SizingDecision

if TYPE_CHECKING:
    from console.services.live_session import LiveSession


@dataclass
class SizeChecked(Message):
    """A sizing check finished: the text to show (the decision, or why there is none)."""

    result: Text


def decision_text(decision: SizingDecision, genome_label: str, breaker_reason: str) -> Text:
    d = decision
    text = Text()
    text.append(f"allowed: {d.allowed_size:.6g} {d.coin} (${d.allowed_notional_usd:,.2f})\n",
                style="bold green" if d.allowed_size >= d.requested_size else "bold yellow")
    text.append(f"requested {d.requested_size:g} {d.coin} {d.side} at {d.mark_px:g}; genome {genome_label}; "
                f"breaker {d.breaker_state} ({breaker_reason})\n")
    for line in d.limiting_factors or ["no limit applies"]:
        text.append(f"  - {line}\n", style="yellow" if d.limiting_factors else "green")
    return text


class SizingScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    SizingScreen { align: center middle; }
    SizingScreen > Vertical { width: 90%; max-width: 110; height: auto; border: thick $primary;
                              background: $surface; padding: 1 2; }
    SizingScreen Horizontal { height: auto; }
    SizingScreen Input { width: 1fr; }
    SizingScreen Select { width: 16; }
    SizingScreen #size-result { height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, session: LiveSession):
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Size a new position with the active genome", style="bold"))
            with Horizontal():
                yield Input(placeholder="coin, e.g. BTC", id="size-coin")
                yield Input(placeholder="size in coin units", id="size-amount", type="number")
                yield Select([("long", "long"), ("short", "short")], value="long", allow_blank=False, id="size-side")
                yield Button("Check", variant="primary", id="size-check")
            yield Static("Nothing is sent: this only answers how much the rules allow.", id="size-result")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        coin = self.query_one("#size-coin", Input).value.strip().upper()
        try:
            amount = float(self.query_one("#size-amount", Input).value)
        except ValueError:
            self.query_one("#size-result", Static).update(Text("size must be a number", style="red"))
            return
        side = str(self.query_one("#size-side", Select).value)
        self.query_one("#size-result", Static).update("checking...")
        self.check(coin, amount, side)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def check(self, coin: str, amount: float, side: str) -> None:
        try:
            decision, label, reason = compute_size(self.session.repo, self.session.service.gateway,
                                                   self.session.service.settings.address, coin, side, amount)
            result = decision_text(decision, label, reason)
        except (EvoriskError, ExchangeError, ValueError) as exc:
            result = Text(f"cannot size: {exc}", style="red")
        self.post_message(SizeChecked(result))

    def on_size_checked(self, message: SizeChecked) -> None:
        self.query_one("#size-result", Static).update(message.result)
