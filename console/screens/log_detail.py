"""One log line whole, wrapped and scrollable (the table cuts long messages at its width)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class LogDetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    LogDetailScreen { align: center middle; }
    LogDetailScreen > VerticalScroll { width: 90%; height: auto; max-height: 80%; border: thick $primary;
                                       background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, row: dict):
        super().__init__()
        self.row = row

    def compose(self) -> ComposeResult:
        r = self.row
        with VerticalScroll():
            yield Static(Text(f"{r['ts']}  {r['level']}  {r['logger']}", style="bold"))
            yield Static(Text(r["message"]), id="log-message")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = "Log line (Esc closes)"
