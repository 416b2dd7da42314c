"""The evorisk operator console: a thin App that composes panels and routes worker messages.

Every blocking call (exchange, SQLite, evolution) runs in a thread worker that ends by posting a
message; handlers here only hand data to widgets. Worker failures all land in one handler.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.containers import Container, Horizontal, Vertical
from textual.widgets import Button, Footer, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from console.commands_palette import EvoriskCommands
from console.messages import AlertRaised, EvolutionEnded, EvolutionProgress, SnapshotReady, StoreChanged
from console.widgets.actions import ActionsTable
from console.widgets.badge import NetworkBadge
from console.widgets.breaker_banner import BreakerBanner
from console.widgets.correlation import CorrelationPanel
from console.widgets.drawdown import DrawdownPanel
from console.widgets.evolution_panel import EvolutionPanel
from console.widgets.log_panel import LogPanel
from console.widgets.positions import PositionsTable, account_text, protective_stops_text
from console.widgets.runs_panel import RunsTable

log = logging.getLogger("evorisk.console")
LOG_REFRESH_S = 2.0  # the event log tab re-reads app_log this often while visible
ALERT_TOAST_S = 8.0  # an alert toast stays this long (critical ones three times as long)
PROGRESS_MIN_INTERVAL_S = 0.1  # at most ten evolution progress updates a second reach the UI


class EvoriskApp(App):
    """Live risk, evolution, runs and the event log in one terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "evorisk"
    COMMANDS = App.COMMANDS | {EvoriskCommands}
    # Letters act when no text field has focus; F1-F4 switch tabs from anywhere (priority), and
    # Escape leaves a text field so the letters work again.
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("l", "show_tab('live')", "Live", show=False),
        Binding("e", "show_tab('evolution')", "Evolution", show=False),
        Binding("r", "show_tab('runs')", "Runs", show=False),
        Binding("g", "show_tab('log')", "Log", show=False),
        Binding("f1", "show_tab('live')", "Live", priority=True),
        Binding("f2", "show_tab('evolution')", "Evolution", priority=True),
        Binding("f3", "show_tab('runs')", "Runs", priority=True),
        Binding("f4", "show_tab('log')", "Log", priority=True),
        Binding("escape", "leave_field", "Leave field", show=False),
        Binding("a", "review_action", "Approve/reject"),
        Binding("x", "scenario('crash')", "Crash (paper)"),
        Binding("z", "size_position", "Size", show=False),
        Binding("d", "scenario('demo')", "Calm (paper)", show=False),
        Binding("t", "toggle_theme", "Theme"),
        Binding("p", "toggle_protection", "Standing exits on/off", show=False),
    ]

    latest_alert: reactive[Any] = reactive(None)  # core.alerts.model.Alert: the newest one the console got

    def __init__(self, network: str = "paper", db_path: Path | None = None, live: bool = True,
                 scenario: str = "demo", poll_interval_s: float | None = None, paper_speed: float | None = None,
                 protect: str | None = None):
        super().__init__()
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
            yield Static("evorisk risk console", classes="title")
            yield Static("data: waiting for first poll", id="freshness")
            yield NetworkBadge(self.network, id="network-badge")
        with TabbedContent(initial="live", id="tabs"):
            with TabPane("Live", id="live"):
                yield BreakerBanner(id="breaker-banner")
                with Container(id="live-grid"):
                    with Vertical(id="positions-box", classes="box"):
                        yield PositionsTable(id="positions")
                        yield Static("", id="account-line")
                        yield Static("", id="protective-stops")
                    with Vertical(id="drawdown-box", classes="box"):
                        yield DrawdownPanel(id="drawdown")
                    with Vertical(id="correlation-box", classes="box"):
                        yield CorrelationPanel("waiting for the first poll", id="correlation")
                    with Vertical(id="pending-box", classes="box"):
                        yield ActionsTable(id="pending")
            with TabPane("Evolution", id="evolution"):
                yield EvolutionPanel(id="evolution-panel")
            with TabPane("Runs", id="runs"):
                with Horizontal(id="runs-buttons"):
                    yield Button("Resume", id="run-resume")
                    yield Button("Out-of-sample report", id="run-report")
                    yield Button("Promote best genome", variant="warning", id="run-promote")
                    yield Button("Refresh", id="run-refresh")
                yield RunsTable(id="runs-table")
            with TabPane("Log", id="log"):
                yield LogPanel(id="log-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#positions-box").border_title = "Positions (genome levels)"
        self.query_one("#drawdown-box").border_title = "Drawdown vs evolved thresholds"
        self.query_one("#correlation-box").border_title = "Correlation & concentration"
        self.query_one("#pending-box").border_title = "Pending actions (a: review)"
        self.open_store()
        self.set_interval(LOG_REFRESH_S, self.refresh_log)

    # ---- store and lists ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        from storage import Store, default_db_path
        from storage.logsetup import configure_logging

        path = self.db_path or default_db_path()
        store = Store(path)
        configure_logging(Path(str(path)).with_suffix(".log"), store)
        self.store = store
        self.post_message(StoreChanged("opened"))

    def on_store_changed(self, message: StoreChanged) -> None:
        if message.what == "opened":
            log.info("console started on %s", self.network.upper())
            self.refresh_runs()
            if self.live_enabled:
                self.start_live()

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def refresh_runs(self) -> None:
        from console.runs import run_rows

        if self.store is None:
            return
        rows = run_rows(self.store)
        self.call_from_thread(self.query_one("#runs-table", RunsTable).show, rows)

    @work(thread=True, exclusive=True, group="log", exit_on_error=False)
    def refresh_log(self) -> None:
        if self.store is None or self.query_one("#tabs", TabbedContent).active != "log":
            return
        level, text = self.query_one("#log-panel", LogPanel).filters
        rows = self.store.recent_logs(limit=300, min_level=level, text=text or None)
        self.call_from_thread(self.query_one("#log-panel", LogPanel).show, rows)

    # ---- live monitor ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="live", exit_on_error=False)
    def start_live(self) -> None:
        from console.live import LiveSession

        self.session = LiveSession.start(self.network, self.store, scenario=self.scenario,
                                         on_snapshot=lambda snap: self.post_message(SnapshotReady(snap)),
                                         poll_interval_s=self.poll_interval_s, paper_speed=self.paper_speed,
                                         on_alert=lambda alert: self.post_message(AlertRaised(alert)),
                                         protect=self.protect)

    def on_alert_raised(self, message: AlertRaised) -> None:
        """Toast and terminal bell; critical alerts stay on screen longer. `latest_alert` is the
        hook for other widgets (a status line): `self.watch(self.app, "latest_alert", callback)`."""
        alert = message.alert
        self.latest_alert = alert
        severity = {"info": "information", "warning": "warning", "critical": "error"}[alert.severity.value]
        self.notify(alert.body or alert.title, title=alert.title, severity=severity,
                    timeout=ALERT_TOAST_S * (3 if alert.severity.value == "critical" else 1))
        self.bell()

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        snap = message.snapshot
        self.snapshot = snap
        self.query_one("#breaker-banner", BreakerBanner).show(snap)
        self.query_one("#positions", PositionsTable).show(snap)
        table = self.query_one("#positions", PositionsTable)
        self.query_one("#account-line", Static).update(account_text(snap, compact=table.layout_name == "compact"))
        self.query_one("#protective-stops", Static).update(protective_stops_text(snap))
        self.query_one("#drawdown", DrawdownPanel).show(snap)
        self.query_one("#correlation", CorrelationPanel).show(snap)
        self.query_one("#pending", ActionsTable).show(snap)
        age = snap.data_age_s
        fresh = "no data yet" if age is None else f"data {age:.0f}s old"
        if snap.data_error:
            fresh += f" - {snap.data_error}"
        if snap.db_error:  # the monitor can read but not write: nothing is proposed or sent
            fresh += f" - {snap.db_error.upper()[:13]}: nothing stored, proposed or sent"
        self.query_one("#freshness", Static).update(f"{snap.genome_label}  {fresh}")

    def action_scenario(self, name: str) -> None:
        if self.session is None or not self.session.can_switch_scenario:
            self.notify("scenarios exist only on the paper exchange", severity="warning")
            return
        self.session.switch_scenario(name)
        self.notify(f"paper exchange: scenario {name}")

    def action_review_action(self) -> None:
        from console.screens.approval import ApprovalScreen

        action = self.query_one("#pending", ActionsTable).selected()
        if action is None or action.status != "pending":
            self.notify("no pending action selected", severity="warning")
            return

        def decided(decision: str | None) -> None:
            if decision is not None:
                self.decide_action(action.id, decision)

        self.push_screen(ApprovalScreen(action, self.network), decided)

    @work(thread=True, group="decisions", exit_on_error=False)
    def decide_action(self, action_id: int, decision: str) -> None:
        """The decision row is committed by the session before any order leaves."""
        if self.session is None:
            return
        if decision == "approve":
            self.session.approve(action_id, operator="console")
        else:
            self.session.reject(action_id, operator="console")
        self.call_from_thread(self.notify, f"action {action_id}: {decision}d")

    def action_size_position(self) -> None:
        from console.screens.sizing import SizingScreen

        if self.session is None:
            self.notify("sizing needs the live session", severity="warning")
            return
        self.push_screen(SizingScreen(self.session))

    def action_toggle_protection(self) -> None:
        if self.session is None:
            self.notify("standing exits need the live session", severity="warning")
            return
        if self.protect == "off":
            self.notify("started with --protect off: standing exits stay off", severity="warning")
            return
        self.toggle_protection(not bool(self.snapshot is not None and self.snapshot.protected))

    @work(thread=True, group="decisions", exit_on_error=False)
    def toggle_protection(self, on: bool) -> None:
        """Recorded before the next cycle places or withdraws the orders."""
        self.session.set_protection(on, operator="console")
        self.call_from_thread(self.notify, "standing exits ON: reduce-only orders rest at the schedule" if on
                              else "standing exits OFF: positions are unprotected", severity="information" if on
                              else "warning")

    def action_reset_breaker(self) -> None:
        if self.session is not None:
            self.reset_breaker()

    @work(thread=True, group="decisions", exit_on_error=False)
    def reset_breaker(self) -> None:
        self.session.reset_breaker(operator="console")
        self.call_from_thread(self.notify, "breaker reset: the high-water mark is now the current equity")

    # ---- evolution ---------------------------------------------------------------------------
    @on(EvolutionPanel.StartRequested)
    def start_evolution(self, message: EvolutionPanel.StartRequested) -> None:
        self._evolution_stop.clear()
        self.query_one("#evolution-panel", EvolutionPanel).set_running(True, None, message.generations)
        self.run_evolution(message.paths, message.population, message.generations, message.seed, None,
                           message.cluster)

    @on(EvolutionPanel.CancelRequested)
    def cancel_evolution(self) -> None:
        self._evolution_stop.set()
        self.notify("evolution will stop after the current generation")

    @work(thread=True, exclusive=True, group="evolution", exit_on_error=False)
    def run_evolution(self, paths: list[str], population: int, generations: int, seed: int,
                      resume_run_id: int | None, cluster: str | None = None) -> None:
        import time

        from console.runs import drive_evolution

        last_post = [0.0]
        unsent: list[tuple[float, float]] = []

        def progress(rep) -> None:
            # Small runs finish a generation in a millisecond; posting every one would flood the UI,
            # so generations are batched and sent at most ten times a second.
            unsent.append((rep.best, rep.mean))
            now = time.monotonic()
            if now - last_post[0] < PROGRESS_MIN_INTERVAL_S and rep.generation < rep.generations_total:
                return
            last_post[0] = now
            batch = tuple(unsent)
            unsent.clear()
            self.post_message(EvolutionProgress(rep.run_id, rep.generation, rep.generations_total, rep.best,
                                                rep.mean, rep.evals_per_s, rep.eta_s, batch))

        def cluster_info(info) -> None:
            panel = self.query_one("#evolution-panel", EvolutionPanel)
            self.call_from_thread(panel.show_cluster, info.address, info.n_workers)

        run_id, status = drive_evolution(self.store, paths, population, generations, seed, resume_run_id,
                                         progress, self._evolution_stop, cluster, cluster_info)
        self.post_message(EvolutionEnded(run_id, status))

    def on_evolution_progress(self, message: EvolutionProgress) -> None:
        self.query_one("#evolution-panel", EvolutionPanel).show_progress(message)

    def on_evolution_ended(self, message: EvolutionEnded) -> None:
        self.query_one("#evolution-panel", EvolutionPanel).show_ended(message.run_id, message.status, message.detail)
        self.notify(f"run {message.run_id} {message.status}")
        self.refresh_runs()

    @on(Button.Pressed, "#run-refresh")
    def _refresh_pressed(self) -> None:
        self.refresh_runs()

    @on(Button.Pressed, "#run-resume")
    def resume_selected(self) -> None:
        row = self.query_one("#runs-table", RunsTable).selected()
        if row is None or row["status"] not in ("cancelled", "failed", "interrupted"):
            self.notify("select a cancelled, failed or interrupted run to resume", severity="warning")
            return
        self._evolution_stop.clear()
        self.query_one("#tabs", TabbedContent).active = "evolution"
        self.query_one("#evolution-panel", EvolutionPanel).set_running(True, row["id"], row["generations_total"])
        self.run_evolution([], 0, 0, 0, row["id"])

    def _selected_finished_run(self) -> dict | None:
        row = self.query_one("#runs-table", RunsTable).selected()
        if row is None or row["status"] != "finished" or self.store is None:
            self.notify("select a finished run first", severity="warning")
            return None
        return row

    @on(Button.Pressed, "#run-report")
    def report_selected(self) -> None:
        row = self._selected_finished_run()
        if row is not None:
            self.notify(f"computing run {row['id']}'s out-of-sample report...")
            self.show_report(row["id"])

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def show_report(self, run_id: int) -> None:
        from console.runs import run_report
        from console.screens.report import ReportScreen

        doc = run_report(self.store, run_id)
        self.call_from_thread(self.push_screen, ReportScreen(doc))

    @on(Button.Pressed, "#run-promote")
    def promote_selected(self) -> None:
        row = self._selected_finished_run()
        if row is not None:
            self.notify(f"gathering run {row['id']}'s out-of-sample evidence...")
            self.prepare_promotion(row["id"])

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def prepare_promotion(self, run_id: int) -> None:
        from console.runs import promotion_candidate

        cand = promotion_candidate(self.store, run_id)
        self.call_from_thread(self.ask_promotion, cand)

    def ask_promotion(self, cand) -> None:
        from console.screens.promote import PromoteScreen

        def decided(ok: bool | None) -> None:
            if ok:
                self.promote(cand)
            else:
                self.notify("promotion cancelled: the live genome is unchanged")

        from core.monitor.standing_preview import orders_to_rest, rule_summary

        snap = self.snapshot
        positions = [{"coin": p.coin, "size": p.size, "entry_px": p.entry_px} for p in snap.positions] if snap else []
        standing = (rule_summary(cand.params), *orders_to_rest(cand.params, positions))
        self.push_screen(PromoteScreen(f"Promote run {cand.run_id}'s best genome into the live monitor?",
                                       cand.params, cand.live_params, cand.live_label, cand.oos_metrics, standing),
                         decided)

    @work(thread=True, group="decisions", exit_on_error=False)
    def promote(self, cand) -> None:
        """The promotion record is the only way a genome becomes active."""
        from console.runs import record_promotion

        promotion_id = record_promotion(self.store, cand.run_id, cand, operator="console")
        self.call_from_thread(self.notify, f"promotion {promotion_id}: run {cand.run_id}'s genome is live "
                                           "from the next poll")

    # ---- generic -----------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures surface: a visible notice and a log row."""
        if event.state is WorkerState.ERROR:
            err = event.worker.error
            log.error("%s failed: %s: %s", event.worker.name, type(err).__name__, err)
            self.notify(f"{event.worker.name}: {err}", title="error", severity="error", timeout=10)
            if event.worker.group == "evolution":
                self.query_one("#evolution-panel", EvolutionPanel).show_ended(0, "failed", str(err))

    def action_show_tab(self, tab: str) -> None:
        # Leave any text field first: focus left inside a hidden pane would pull its tab back.
        self.set_focus(None)
        self.query_one("#tabs", TabbedContent).active = tab
        if tab == "log":
            self.refresh_log()
        elif tab == "runs":
            self.refresh_runs()

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def on_unmount(self) -> None:
        self._evolution_stop.set()
        if self.session is not None:
            self.session.stop()
