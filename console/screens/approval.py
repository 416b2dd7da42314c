"""The approval modal: exactly the orders that will be sent, and a typed confirmation for an exit."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from core.monitor.snapshot import PendingActionView

CONFIRM_WORD = "EXIT"  # typed to approve closing everything


class ApprovalScreen(ModalScreen[str | None]):
    """Returns "approve", "reject" or None (dismissed without a decision)."""

    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > Vertical { width: 90%; max-width: 110; height: auto; max-height: 90%;
                                border: thick $error; background: $surface; padding: 1 2; }
    ApprovalScreen DataTable { height: auto; max-height: 14; margin: 1 0; }
    ApprovalScreen Horizontal { height: auto; align: right middle; }
    ApprovalScreen Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close (no decision)")]

    def __init__(self, action: PendingActionView, network: str):
        super().__init__()
        self.action = action
        self.network = network

    @property
    def needs_typed_confirmation(self) -> bool:
        return self.action.kind == "exit_all"

    def compose(self) -> ComposeResult:
        a = self.action
        title = {"exit_all": "EMERGENCY EXIT: close every position",
                 "reduce": "REDUCE: halve every position"}.get(a.kind, a.kind)
        with Vertical():
            yield Static(Text(f"Action {a.id} - {title}", style="bold red"))
            yield Label(f"Network {self.network.upper()}. Why: {a.reason}")
            yield Label("These orders will be sent, reduce-only, as aggressive IOC limits:")
            yield DataTable(id="orders", cursor_type="none")
            if self.needs_typed_confirmation:
                yield Label(f"Type {CONFIRM_WORD} to enable Approve:")
                yield Input(placeholder=CONFIRM_WORD, id="confirm")
            with Horizontal():
                yield Button("Reject", variant="default", id="reject")
                yield Button("Approve and send", variant="error", id="approve",
                             disabled=self.needs_typed_confirmation)

    def on_mount(self) -> None:
        table = self.query_one("#orders", DataTable)
        for col in ("coin", "side", "size", "limit px", "reduce-only", "cloid"):
            table.add_column(col)
        for o in self.action.orders:
            table.add_row(o["coin"], o["side"].upper(), f"{o['size']:g}", f"{o['limit_px']:g}",
                          "yes" if o.get("reduce_only", True) else "NO", str(o.get("cloid", ""))[:18] + "...")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#approve", Button).disabled = event.value.strip() != CONFIRM_WORD

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approve" and not event.button.disabled:
            self.dismiss("approve")
        elif event.button.id == "reject":
            self.dismiss("reject")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
