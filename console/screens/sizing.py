"""Sizing dialog: how big a new position the active genome allows, each limit explained."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static


def decision_text(decision, genome_label: str, breaker_reason: str) -> Text:
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

    def __init__(self, session):
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
        from console.commands.size import compute_size
        from core.errors import EvoriskError
        from core.exchange.errors import ExchangeError

        try:
            decision, label, reason = compute_size(self.session.repo, self.session.service.gateway,
                                                   self.session.service.settings.address, coin, side, amount)
            result = decision_text(decision, label, reason)
        except (EvoriskError, ExchangeError, ValueError) as exc:
            result = Text(f"cannot size: {exc}", style="red")
        self.app.call_from_thread(self.query_one("#size-result", Static).update, result)
