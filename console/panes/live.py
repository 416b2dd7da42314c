"""The Live tab: the breaker banner, positions with the genome's levels, the actions waiting for
approval, the drawdown gauge and the correlation panel; and the operator's live decisions
(review, approve or reject, propose the exit again, reset the breaker, standing exits on/off,
paper scenarios, sizing).

Every widget here watches the App's `snapshot` reactive and redraws itself; the decisions run in
thread workers (the session writes SQLite and talks to the exchange) that end with a Notice.
"""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.panes.base import Pane
from console.screens.approval import ApprovalScreen
from console.screens.confirm import ConfirmScreen
from console.screens.sizing import SizingScreen
from console.widgets.actions import ActionsTable
from console.widgets.breaker_banner import BreakerBanner
from console.widgets.correlation import CorrelationPanel
from console.widgets.drawdown import DrawdownPanel
from console.widgets.positions import PositionsTable, account_text, protective_stops_text
from core.monitor.snapshot import RiskSnapshot
from core.vocabulary import ActionStatus

DECISION_WORDS = {"approve": "approved", "reject": "rejected"}
READ_ONLY_NOTICE = "read-only console: it watches, it never approves, promotes or sends"
BOX_TITLES = {"#positions-box": "Positions (genome levels)", "#drawdown-box": "Drawdown vs evolved thresholds",
              "#correlation-box": "Correlation & concentration",
              "#pending-box": "Pending actions (a: review, p: propose exit)"}


def waiting_count(snap: RiskSnapshot | None) -> int:
    """Actions that wait for the operator's decision."""
    return 0 if snap is None else sum(1 for a in snap.pending_actions if a.status == ActionStatus.PENDING)


class LivePane(Pane):
    """The Live tab pane and its decisions."""

    def compose(self) -> ComposeResult:
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

    def on_mount(self) -> None:
        for selector, title in BOX_TITLES.items():
            self.query_one(selector).border_title = title
        self.watch(self.app, "snapshot", self._show_account, init=False)

    def _show_account(self, snap: RiskSnapshot | None) -> None:
        if snap is None:
            return
        compact = self.query_one("#positions", PositionsTable).layout_name == "compact"
        self.query_one("#account-line", Static).update(account_text(snap, compact=compact))
        self.query_one("#protective-stops", Static).update(protective_stops_text(snap))
        self._follow_approval(snap)

    def _follow_approval(self, snap: RiskSnapshot) -> None:
        """An open approval modal follows its action: a question asked about the old action must
        not answer for the new one."""
        app = self.app
        for screen in list(app.screen_stack):
            if not isinstance(screen, ApprovalScreen):
                continue
            notice, close = screen.follow(snap)
            if notice or close:
                while app.screen is not screen:
                    app.pop_screen()
            if close:
                screen.dismiss(None)
            if notice:
                app.notify(notice, title="approval", severity="warning", timeout=10)

    # ---- decisions -----------------------------------------------------------------------------
    def review_action(self) -> None:
        table = self.query_one("#pending", ActionsTable)
        action = table.selected()
        if action is None or action.status != ActionStatus.PENDING:
            action = table.first_pending()
        if action is None:
            self.app.notify("no action waits for approval", severity="warning")
            return

        def decided(decision: str | None) -> None:
            if decision is not None:
                self.decide_action(screen.action.id, decision)

        console = self.console
        screen = ApprovalScreen(action, console.network, console.snapshot, read_only=console.read_only)
        self.app.push_screen(screen, decided)

    @work(thread=True, group="decisions", exit_on_error=False)
    def decide_action(self, action_id: int, decision: str) -> None:
        """The decision row is committed by the session before any order leaves."""
        console = self.console
        if console.read_only:
            self.notice(READ_ONLY_NOTICE, severity="warning")
            return
        if console.session is None:
            return
        if decision == "approve":
            console.session.approve(action_id, operator="console")
        else:
            console.session.reject(action_id, operator="console")
        self.notice(f"action {action_id}: {DECISION_WORDS[decision]}")

    def request_exit(self) -> None:
        if self.console.read_only:
            self.app.notify(READ_ONLY_NOTICE, severity="warning")
        elif self.console.session is None:
            self.app.notify("proposing an exit needs the live session", severity="warning")
        else:
            self.propose_exit()

    @work(thread=True, group="decisions", exit_on_error=False)
    def propose_exit(self) -> None:
        answer = self.console.session.propose_exit(operator="console")
        self.notice(f"propose exit: {answer}", timeout_s=8)

    def ask_reset_breaker(self) -> None:
        console = self.console
        if console.read_only:
            self.app.notify(READ_ONLY_NOTICE, severity="warning")
            return
        if console.session is None:
            return
        waiting = waiting_count(console.snapshot)
        detail = "The high-water mark becomes the current equity and the breaker NORMAL."
        if waiting:
            detail += f" {waiting} action(s) wait for a decision."
        self.app.push_screen(ConfirmScreen("Reset the breaker?", detail, yes="Reset"),
                             lambda yes: self.reset_breaker() if yes else None)

    @work(thread=True, group="decisions", exit_on_error=False)
    def reset_breaker(self) -> None:
        self.console.session.reset_breaker(operator="console")
        self.notice("breaker reset: the high-water mark is now the current equity")

    # ---- paper scenarios, standing exits and sizing --------------------------------------------
    def switch_scenario(self, name: str) -> None:
        session = self.console.session
        if session is None or not session.can_switch_scenario:
            self.app.notify("scenarios exist only on the paper exchange", severity="warning")
            return
        session.switch_scenario(name)
        self.app.notify(f"paper exchange: scenario {name}")

    def ask_toggle_protection(self) -> None:
        console = self.console
        if console.session is None:
            self.app.notify("standing exits need the live session", severity="warning")
            return
        if console.read_only:
            self.app.notify(READ_ONLY_NOTICE, severity="warning")
            return
        if console.protect == "off":
            self.app.notify("started with --protect off: standing exits stay off", severity="warning")
            return
        self.toggle_protection(not bool(console.snapshot is not None and console.snapshot.protected))

    @work(thread=True, group="decisions", exit_on_error=False)
    def toggle_protection(self, on: bool) -> None:
        """Recorded before the next cycle places or withdraws the orders."""
        self.console.session.set_protection(on, operator="console")
        if on:
            self.notice("standing exits ON: reduce-only orders rest at the schedule")
        else:
            self.notice("standing exits OFF: positions are unprotected", severity="warning")

    def size_position(self) -> None:
        if self.console.session is None:
            self.app.notify("sizing needs the live session", severity="warning")
            return
        self.app.push_screen(SizingScreen(self.console.session))
