"""A run's out-of-sample report inside the console (the same renderables `evorisk report` prints)."""
from __future__ import annotations

from rich.console import Group
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.views.report import report_renderables


class ReportScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ReportScreen { align: center middle; }
    ReportScreen > VerticalScroll { width: 95%; height: 90%; border: thick $primary; background: $surface;
                                    padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("q", "dismiss", "Close", show=False)]

    def __init__(self, doc: dict):
        super().__init__()
        self.doc = doc

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Group(*report_renderables(self.doc)), id="report-body")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = f"Out-of-sample report, run {self.doc['run_id']} (Esc closes)"
