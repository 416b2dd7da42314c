"""The evorisk operator console: a thin App that composes the four tab panes and routes what
crosses tabs.

Each pane (console/panes/) composes its widgets and owns its handlers and workers. The App keeps
the session-wide state: the store, the live session, and the latest monitor snapshot as a typed
reactive that every live widget watches. It also keeps what every tab sees: alarms (status line,
bell, toast), worker failures (one handler), the keys and the tab switching.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.widgets import Footer, TabbedContent
from textual.worker import Worker, WorkerState

from console.commands_palette import EvoriskCommands
from console.messages import (AlarmRaised, AlertRaised, EvolutionEnded, EvolutionProgress, Notice, SnapshotReady,
                              StoreOpened, WorkerFailed)
from console.panes.base import Pane
from console.panes.evolution import EvolutionPane
from console.panes.live import LivePane, waiting_count
from console.panes.log import LogPane
from console.panes.runs import ResumeRequested, RunsPane
from console.screens.confirm import ConfirmScreen
from console.screens.help import HelpScreen, key_rows
from console.widgets.status_line import StatusLine, alarm_events
from console.widgets.topbar import TopBar
from core.alerts.model import Alert
from core.monitor.snapshot import RiskSnapshot

if TYPE_CHECKING:  # the services open the store (sqlite_utils loads pandas): types only
    from console.services.live_session import LiveSession
    from storage import Store

P = TypeVar("P", bound=Pane)
log = logging.getLogger("evorisk.console")
LOG_REFRESH_S = 2.0  # the event log tab re-reads app_log this often while visible
LIVE_ONLY = {"scenario", "size_position", "reset_breaker"}  # keys that act on the Live tab only
RUNS_ONLY = {"runs"}
TAB_TITLES = {"live": "Live", "evolution": "Evolution", "runs": "Runs", "log": "Log"}
ALARM_TOAST_S = 8  # long enough to read from another tab, short enough not to pile up in a crash
SNAPSHOT_ALARM_KINDS = {"breaker", "pending_action", "stale"}  # alarmed by status_line.alarm_events from the snapshot itself


class EvoriskApp(App):
    """Live risk, evolution, runs and the event log in one terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "evorisk"
    COMMANDS = App.COMMANDS | {EvoriskCommands}
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

    # The newest monitor cycle; every live widget watches it. always_update: two polls with equal
    # content still redraw (ages and the status line's alarms are per poll).
    snapshot: reactive[RiskSnapshot | None] = reactive(None, always_update=True, repaint=False)
    latest_alert: reactive[Alert | None] = reactive(None)  # the newest alert the console got

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
        self.store: Store | None = None
        self.session: LiveSession | None = None

    # ---- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TopBar(self.network, self.read_only, id="topbar")
        with TabbedContent(initial="live", id="tabs"):
            yield LivePane("Live", id="live")
            yield EvolutionPane("Evolution", id="evolution")
            yield RunsPane("Runs", id="runs")
            yield LogPane("Log", id="log")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.open_store()
        self.set_interval(LOG_REFRESH_S, self.refresh_log)

    def pane(self, pane_type: type[P]) -> P:
        """A tab pane of the main screen (also while a modal is on top)."""
        return self.screen_stack[0].query_one(pane_type)

    def panel(self, selector: str, expect_type: type | None = None):
        """A widget of the main screen, also while a modal is on top (App.query_one asks the top one)."""
        base = self.screen_stack[0] if self.screen_stack else self.screen
        return base.query_one(selector, expect_type) if expect_type else base.query_one(selector)

    # ---- store, runs and log -----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        from console.services.opening import open_console_store  # heavy: sqlite_utils loads pandas

        self.store = open_console_store(self.db_path)
        self.post_message(StoreOpened())

    def on_store_opened(self) -> None:
        log.info("console started on %s", self.network.upper())
        self.refresh_runs()
        if self.live_enabled:
            self.start_live()

    def refresh_runs(self) -> None:
        self.pane(RunsPane).refresh_runs()

    def refresh_log(self) -> None:
        if self.panel("#tabs", TabbedContent).active == "log":
            self.pane(LogPane).refresh_rows()

    # ---- live monitor ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="live", exit_on_error=False)
    def start_live(self) -> None:
        from console.services.live_session import LiveSession  # heavy: the store

        self.session = LiveSession.start(self.network, self.store, scenario=self.scenario,
                                         on_snapshot=lambda snap: self.post_message(SnapshotReady(snap)),
                                         poll_interval_s=self.poll_interval_s, paper_speed=self.paper_speed,
                                         on_alert=lambda alert: self.post_message(AlertRaised(alert)),
                                         protect=self.protect, read_only=self.read_only)

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.is_running or not self.screen_stack or self.screen_stack[0].id != "_default":
            return  # a late poll while the app shuts down
        self.snapshot = message.snapshot

    def watch_snapshot(self, before: RiskSnapshot | None, snap: RiskSnapshot | None) -> None:
        if snap is None:
            return
        events = alarm_events(before, snap)
        if events:  # one alarm per poll, however many things happened in it: one flash, one bell, one toast
            severity = "error" if any(sev == "error" for _, sev in events) else "warning"
            self.raise_alarm("; ".join(text for text, _ in events), severity)

    # ---- alarms, notices and failures (seen from every tab) ------------------------------------
    def raise_alarm(self, text: str, severity: str = "error", title: str = "ALARM") -> None:
        """The one entry point for alarms (perp-risk alerts, order failures): safe from any thread."""
        self.post_message(AlarmRaised(text, severity, title))

    def on_alarm_raised(self, message: AlarmRaised) -> None:
        """Seen from every tab: the status line flashes, the terminal bells, a toast says what."""
        self.panel("#status-line", StatusLine).flash(message.text)
        self.bell()
        self.notify(message.text, title=message.title, severity=message.severity, timeout=ALARM_TOAST_S)

    def on_alert_raised(self, message: AlertRaised) -> None:
        """An alert event of the dispatcher's console channel. Breaker transitions and new actions
        already alarm from the snapshot (one alarm per poll), so those only update `latest_alert`;
        every other kind (order failure, STALE, WATCH, a close liquidation, a test) alarms here."""
        alert = message.alert
        self.latest_alert = alert
        if alert.kind.value in SNAPSHOT_ALARM_KINDS:
            return
        self.raise_alarm(alert.body or alert.title, "error" if alert.severity.value == "critical" else "warning",
                         alert.title)

    def on_notice(self, message: Notice) -> None:
        kwargs = {} if message.timeout_s is None else {"timeout": message.timeout_s}
        self.notify(message.text, title=message.title, severity=message.severity, **kwargs)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker))

    def on_worker_failed(self, message: WorkerFailed) -> None:
        """The one place worker failures surface (the panes forward theirs): a notice and a log row."""
        worker = message.worker
        err = worker.error
        log.error("%s failed: %s: %s", worker.name, type(err).__name__, err)
        self.notify(f"{worker.name}: {err}", title="error", severity="error", timeout=10)

    # ---- evolution and runs (the Evolution tab drives, the Runs tab lists) ----------------------
    def on_evolution_progress(self, message: EvolutionProgress) -> None:
        self.pane(EvolutionPane).panel.show_progress(message)
        if message.run_id not in self._runs_listed:  # the Runs table shows the run as running at once
            self._runs_listed.add(message.run_id)
            self.refresh_runs()

    def on_evolution_ended(self, message: EvolutionEnded) -> None:
        self.pane(EvolutionPane).panel.show_ended(message.run_id, message.status, message.detail)
        self.notify(f"run {message.run_id} {message.status}")
        self.refresh_runs()

    def on_resume_requested(self, message: ResumeRequested) -> None:
        self.set_focus(None)  # focus left on the Resume button would pull the Runs tab back
        self.panel("#tabs", TabbedContent).active = "evolution"
        self.pane(EvolutionPane).resume(message.run_id, message.generations_total)

    def cancel_evolution(self) -> None:
        self.pane(EvolutionPane).cancel()

    # ---- keys: each acts in its pane -----------------------------------------------------------
    def action_review_action(self) -> None:
        self.pane(LivePane).review_action()

    def decide_action(self, action_id: int, decision: str) -> None:
        self.pane(LivePane).decide_action(action_id, decision)

    def action_propose_exit(self) -> None:
        self.pane(LivePane).request_exit()

    def action_reset_breaker(self) -> None:
        self.pane(LivePane).ask_reset_breaker()

    def action_scenario(self, name: str) -> None:
        self.pane(LivePane).switch_scenario(name)

    def action_toggle_protection(self) -> None:
        self.pane(LivePane).ask_toggle_protection()

    def action_size_position(self) -> None:
        self.pane(LivePane).size_position()

    def action_runs(self, what: str) -> None:
        self.pane(RunsPane).act(what)

    async def action_quit(self) -> None:
        waiting = waiting_count(self.snapshot)
        if not waiting:
            self.exit()
            return
        self.push_screen(ConfirmScreen(f"Quit while {waiting} action(s) wait for approval?",
                                       "Exchange-side stops stay on the exchange; the actions wait in the database "
                                       "(`evorisk actions`).", yes="Quit"),
                         lambda yes: self.exit() if yes else None)

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
        where = TAB_TITLES.get(self.panel("#tabs", TabbedContent).active, "console")
        if self.screen is not self.screen_stack[0]:
            where = type(self.screen).__name__.removesuffix("Screen")
        self.push_screen(HelpScreen(where, key_rows(self.screen)))

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.stop()
