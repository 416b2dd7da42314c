"""The evorisk operator console: a thin App that composes panels and routes worker messages.

Every blocking call (exchange, SQLite, evolution) runs in a thread worker that ends by posting a
message; handlers only hand data to widgets. Worker failures all land in one handler. The Live
side (snapshots, alarms, approvals) and the Runs side (evolution, reports, promotion) are mixins
in console/live_actions.py and console/runs_actions.py.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Button, Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from console.commands_palette import EvoriskCommands
from console.live_actions import LiveActions
from console.messages import AlertRaised, SnapshotReady, StoreChanged
from console.runs_actions import RunsActions
from console.widgets.actions import ActionsTable
from console.widgets.badge import NetworkBadge
from console.widgets.breaker_banner import BreakerBanner
from console.widgets.correlation import CorrelationPanel
from console.widgets.drawdown import DrawdownPanel
from console.widgets.evolution_panel import EvolutionPanel
from console.widgets.log_panel import LogPanel
from console.widgets.positions import PositionsTable
from console.widgets.runs_panel import RunsTable
from console.widgets.status_line import StatusLine

log = logging.getLogger("evorisk.console")
LOG_REFRESH_S = 2.0  # the event log tab re-reads app_log this often while visible
LIVE_ONLY = {"scenario", "size_position", "reset_breaker"}  # keys that act on the Live tab only
RUNS_ONLY = {"runs"}
TAB_TITLES = {"live": "Live", "evolution": "Evolution", "runs": "Runs", "log": "Log"}


class EvoriskApp(LiveActions, RunsActions, App):
    """Live risk, evolution, runs and the event log in one terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "evorisk"
    COMMANDS = App.COMMANDS | {EvoriskCommands}
    # Letters act when no text field has focus; F1-F4 switch tabs from anywhere (priority), and
    # Escape leaves a text field so the letters work again.
    # Letters act when no text field has focus; F1-F4 switch tabs from anywhere (priority), and
    # Escape leaves a text field so the letters work again. Descriptions are short so the footer
    # fits 80 columns; `?` lists every key of the current screen.
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("l", "show_tab('live')", "Live tab", show=False),
        Binding("e", "show_tab('evolution')", "Evolution tab", show=False),
        Binding("r", "show_tab('runs')", "Runs tab", show=False),
        Binding("g", "show_tab('log')", "Log tab", show=False),
        Binding("f1", "show_tab('live')", "Live tab", show=False, priority=True),
        Binding("f2", "show_tab('evolution')", "Evolution tab", show=False, priority=True),
        Binding("f3", "show_tab('runs')", "Runs tab", show=False, priority=True),
        Binding("f4", "show_tab('log')", "Log tab", show=False, priority=True),
        Binding("escape", "leave_field", "Leave the text field", show=False),
        Binding("a", "review_action", "Review", tooltip="Approve or reject the waiting action"),
        Binding("p", "propose_exit", "Re-propose", tooltip="Propose the exit again (after a reject or expiry)"),
        Binding("x", "scenario('crash')", "Crash", tooltip="Paper exchange: script a crash"),
        Binding("d", "scenario('demo')", "Calm market (paper)", show=False),
        Binding("z", "size_position", "Size a new position", show=False),
        Binding("R", "reset_breaker", "Reset the breaker (asks first)", show=False),
        Binding("u", "runs('resume')", "Resume", tooltip="Resume the selected run"),
        Binding("o", "runs('report')", "Report", tooltip="Out-of-sample report of the selected run"),
        Binding("P", "runs('promote')", "Promote", tooltip="Promote the selected run's best genome (asks first)"),
        Binding("f", "runs('refresh')", "Refresh runs", show=False),
        Binding("t", "toggle_theme", "Theme"),
        Binding("S", "toggle_protection", "Standing exits on/off (recorded)", show=False),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (160, "-wide")]

    latest_alert: reactive[Any] = reactive(None)  # core.alerts.model.Alert: the newest one the console got

    def __init__(self, network: str = "paper", db_path: Path | None = None, live: bool = True,
                 scenario: str = "console-demo", poll_interval_s: float | None = None, paper_speed: float | None = None,
                 protect: str | None = None, read_only: bool = False):
        super().__init__()
        self.read_only = read_only  # watch only: no signing key, no approve, promote or send
        self._runs_listed: set[int] = set()
        self.network = network
        self.db_path = db_path
        self.live_enabled = live
        self.scenario = scenario
        self.poll_interval_s = poll_interval_s
        self.paper_speed = paper_speed  # simulated seconds per second on paper (tests run the market faster)
        self.protect = protect  # "on" | "off" (--protect) | None: the recorded switch, paper demo protected
        self.store = None
        self.session = None  # console.live.LiveSession once started
        self.snapshot = None
        self._evolution_stop = threading.Event()

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="topbar"):
            yield Static("evorisk risk console" + (" (read-only)" if self.read_only else ""), classes="title")
            yield Static("data: waiting for first poll", id="freshness")
            yield NetworkBadge(self.network, id="network-badge")
        with TabbedContent(initial="live", id="tabs"):
            with TabPane("Live", id="live"):
                yield BreakerBanner(id="breaker-banner")
                with VerticalScroll(id="live-grid"):
                    with Vertical(id="positions-box", classes="box"):
                        yield PositionsTable(id="positions")
                        yield Static("", id="account-line")
                        yield Static("", id="protective-stops")
                    with Vertical(id="pending-box", classes="box"):
                        yield ActionsTable(id="pending")
                    with Vertical(id="drawdown-box", classes="box"):
                        yield DrawdownPanel(id="drawdown")
                    with Vertical(id="correlation-box", classes="box"):
                        yield CorrelationPanel("waiting for the first poll", id="correlation")
            with TabPane("Evolution", id="evolution"):
                yield EvolutionPanel(id="evolution-panel")
            with TabPane("Runs", id="runs"):
                with Horizontal(id="runs-buttons"):
                    yield Button("Resume (u)", id="run-resume")
                    yield Button("Report (o)", id="run-report")
                    yield Button("Promote best (P)", variant="warning", id="run-promote", disabled=self.read_only)
                    yield Button("Refresh (f)", id="run-refresh")
                yield RunsTable(id="runs-table")
            with TabPane("Log", id="log"):
                yield LogPanel(id="log-panel")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.panel("#positions-box").border_title = "Positions (genome levels)"
        self.panel("#drawdown-box").border_title = "Drawdown vs evolved thresholds"
        self.panel("#correlation-box").border_title = "Correlation & concentration"
        self.panel("#pending-box").border_title = "Pending actions (a: review, p: propose exit)"
        self.open_store()
        self.set_interval(LOG_REFRESH_S, self.refresh_log)

    # ---- store and lists ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        from console.services.opening import open_console_store  # heavy: sqlite_utils loads pandas

        self.store = open_console_store(self.db_path)
        self.post_message(StoreChanged("opened"))

    def on_store_changed(self, message: StoreChanged) -> None:
        if message.what == "opened":
            log.info("console started on %s", self.network.upper())
            self.refresh_runs()
            if self.live_enabled:
                self.start_live()
        elif message.what == "runs":
            self.panel("#runs-table", RunsTable).show(message.payload)

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def refresh_runs(self) -> None:
        from console.services.runs import run_rows

        if self.store is None:
            return
        self.post_message(StoreChanged("runs", run_rows(self.store)))

    @work(thread=True, exclusive=True, group="log", exit_on_error=False)
    def refresh_log(self) -> None:
        if self.store is None or self.panel("#tabs", TabbedContent).active != "log":
            return
        level, text = self.panel("#log-panel", LogPanel).filters
        rows = self.store.recent_logs(limit=300, min_level=level, text=text or None)
        self.call_from_thread(self.panel("#log-panel", LogPanel).show, rows)

    # ---- live monitor ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="live", exit_on_error=False)
    def start_live(self) -> None:
        from console.services.live_session import LiveSession

        self.session = LiveSession.start(self.network, self.store, scenario=self.scenario,
                                         on_snapshot=lambda snap: self.post_message(SnapshotReady(snap)),
                                         poll_interval_s=self.poll_interval_s, paper_speed=self.paper_speed,
                                         on_alert=lambda alert: self.post_message(AlertRaised(alert)),
                                         protect=self.protect, read_only=self.read_only)

    # ---- generic -----------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures surface: a visible notice and a log row."""
        if event.state is WorkerState.ERROR:
            err = event.worker.error
            log.error("%s failed: %s: %s", event.worker.name, type(err).__name__, err)
            self.notify(f"{event.worker.name}: {err}", title="error", severity="error", timeout=10)
            if event.worker.group == "evolution":
                self.panel("#evolution-panel", EvolutionPanel).show_ended(0, "failed", str(err))

    def panel(self, selector: str, expect_type: type | None = None):
        """A widget of the main screen, also while a modal is on top (App.query_one asks the top one)."""
        base = self.screen_stack[0] if self.screen_stack else self.screen
        return base.query_one(selector, expect_type) if expect_type else base.query_one(selector)

    def action_show_tab(self, tab: str) -> None:
        # Leave any text field first: focus left inside a hidden pane would pull its tab back.
        self.set_focus(None)
        self.panel("#tabs", TabbedContent).active = tab
        if tab == "log":
            self.refresh_log()
        elif tab == "runs":
            self.refresh_runs()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()  # the footer and `?` show the keys of the tab now shown

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab-specific keys act (and show) only on their tab."""
        try:
            tab = self.screen_stack[0].query_one("#tabs", TabbedContent).active
        except (NoMatches, IndexError):  # during start-up and shutdown there is no tab yet
            return True
        if action in LIVE_ONLY and tab != "live":
            return False
        if action in RUNS_ONLY and tab != "runs":
            return False
        return True

    def action_help(self) -> None:
        from console.screens.help import HelpScreen, key_rows

        where = TAB_TITLES.get(self.panel("#tabs", TabbedContent).active, "console")
        if self.screen is not self.screen_stack[0]:
            where = type(self.screen).__name__.removesuffix("Screen")
        rows = key_rows(self.screen)
        self.push_screen(HelpScreen(where, rows))

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def on_unmount(self) -> None:
        self._evolution_stop.set()
        if self.session is not None:
            self.session.stop()
