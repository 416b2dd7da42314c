"""The evorisk operator console: a thin App that composes screens and routes messages."""
from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Footer, Static, TabbedContent, TabPane

from console.widgets.badge import NetworkBadge
from console.widgets.panel import Panel


class EvoriskApp(App):
    """Live risk, evolution, runs and the event log in one terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "evorisk"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("l", "show_tab('live')", "Live"),
        Binding("e", "show_tab('evolution')", "Evolution"),
        Binding("r", "show_tab('runs')", "Runs"),
        Binding("g", "show_tab('log')", "Log"),
        Binding("t", "toggle_theme", "Theme"),
    ]

    def __init__(self, network: str = "paper", db_path: Path | None = None):
        super().__init__()
        self.network = network
        self.db_path = db_path

    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static("evorisk risk console", classes="title")
            yield Static("data: waiting for first poll", id="freshness")
            yield NetworkBadge(self.network, id="network-badge")
        with TabbedContent(initial="live", id="tabs"):
            with TabPane("Live", id="live"):
                yield Static("BREAKER: NORMAL", id="breaker-banner")
                with Container(id="live-grid"):
                    yield Panel("Positions", "Positions: side, size, entry, mark, uPnL and the genome's "
                                "SL / trail / TP levels with distance to each.", id="positions")
                    yield Panel("Drawdown", "Drawdown gauge against the evolved 50/70/100% "
                                "thresholds, with its history.", id="drawdown")
                    yield Panel("Correlation & concentration", "Correlation matrix of held coins and "
                                "concentration bars against the genome's limits.", id="correlation")
                    yield Panel("Pending actions", "REDUCING / EMERGENCY actions waiting for an "
                                "operator's approval.", id="pending")
            with TabPane("Evolution", id="evolution"):
                with Container(id="evolution-grid"):
                    yield Panel("Configure", "Data, population, generations and seed; start, "
                                "cancel or resume a run.", id="evo-config")
                    yield Panel("Progress", "Generation, best and mean fitness chart, evaluations "
                                "per second and ETA.", id="evo-progress")
            with TabPane("Runs", id="runs"):
                yield Panel("Runs and genomes", "Runs, out-of-sample reports, and Promote.", id="runs-panel")
            with TabPane("Log", id="log"):
                yield Panel("Event log", "app_log and breaker events, filterable.", id="log-panel")
        yield Footer()

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"
