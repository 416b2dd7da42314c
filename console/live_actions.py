"""The Live side of the app: snapshots to widgets, alarms, approval modals bound to their action,
decisions, re-proposing an exit, the breaker reset and the scenario keys.

A mixin of EvoriskApp so the App module stays a thin composition; every blocking call still runs
in a thread worker that ends by posting or calling back into the UI thread.
"""
from __future__ import annotations

import logging

from textual import work
from textual.widgets import Static

from console.messages import AlarmRaised, AlertRaised, SnapshotReady
from console.widgets.actions import ActionsTable
from console.widgets.breaker_banner import BreakerBanner
from console.widgets.correlation import CorrelationPanel
from console.widgets.drawdown import DrawdownPanel
from console.widgets.positions import PositionsTable, account_text, protective_stops_text
from console.widgets.status_line import StatusLine, alarm_events
from core.vocabulary import ActionStatus

log = logging.getLogger("evorisk.console")
DECISION_WORDS = {"approve": "approved", "reject": "rejected"}
ALARM_TOAST_S = 8  # long enough to read from another tab, short enough not to pile up in a crash
SNAPSHOT_ALARM_KINDS = {"breaker", "pending_action", "stale"}  # alarmed by status_line.alarm_events from the snapshot itself
READ_ONLY_NOTICE = "read-only console: it watches, it never approves, promotes or sends"


class LiveActions:
    """Mixed into EvoriskApp (uses its session, snapshot, store, network and read_only)."""

    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.is_running or not self.screen_stack or self.screen_stack[0].id != "_default":
            return  # a late poll while the app shuts down
        snap = message.snapshot
        before, self.snapshot = self.snapshot, snap
        self.panel("#breaker-banner", BreakerBanner).show(snap)
        self._show_wallet()
        table = self.panel("#positions", PositionsTable)
        table.show(snap)
        self.panel("#account-line", Static).update(account_text(snap, compact=table.layout_name == "compact"))
        self.panel("#protective-stops", Static).update(protective_stops_text(snap))
        self.panel("#drawdown", DrawdownPanel).show(snap)
        self.panel("#correlation", CorrelationPanel).show(snap)
        self.panel("#pending", ActionsTable).show(snap)
        self.panel("#status-line", StatusLine).show(snap)
        age = snap.data_age_s
        fresh = "no data yet" if age is None else f"data {age:.0f}s old"
        if snap.data_error:
            fresh += f" - {snap.data_error}"
        if snap.db_error:  # the monitor can read but not write: nothing is proposed or sent
            fresh += f" - {snap.db_error.upper()[:13]}: nothing stored, proposed or sent"
        self.panel("#freshness", Static).update(f"{snap.genome_label}  {fresh}")
        events = alarm_events(before, snap)
        if events:  # one alarm per poll, however many things happened in it: one flash, one bell, one toast
            severity = "error" if any(sev == "error" for _, sev in events) else "warning"
            self.raise_alarm("; ".join(text for text, _ in events), severity)
        self._follow_approval(snap)

    def _show_wallet(self) -> None:
        from console.widgets.badge import NetworkBadge

        badge = self.query_one("#network-badge", NetworkBadge)
        if not badge.wallet_shown and self.session is not None:
            gateway = self.session.service.gateway
            badge.show_wallet(gateway.account_address, gateway.signer_address)

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

    def _follow_approval(self, snap) -> None:
        from console.screens.approval import ApprovalScreen

        for screen in list(self.screen_stack):
            if not isinstance(screen, ApprovalScreen):
                continue
            notice, close = screen.follow(snap)
            if notice or close:  # a question asked about the old action must not answer for the new one
                while self.screen is not screen:
                    self.pop_screen()
            if close:
                screen.dismiss(None)
            if notice:
                self.notify(notice, title="approval", severity="warning", timeout=10)

    # ---- decisions -----------------------------------------------------------------------------
    def action_review_action(self) -> None:
        from console.screens.approval import ApprovalScreen

        table = self.panel("#pending", ActionsTable)
        action = table.selected()
        if action is None or action.status != ActionStatus.PENDING:
            action = table.first_pending()
        if action is None:
            self.notify("no action waits for approval", severity="warning")
            return

        def decided(decision: str | None) -> None:
            if decision is not None:
                self.decide_action(screen.action.id, decision)

        screen = ApprovalScreen(action, self.network, self.snapshot, read_only=self.read_only)
        self.push_screen(screen, decided)

    @work(thread=True, group="decisions", exit_on_error=False)
    def decide_action(self, action_id: int, decision: str) -> None:
        """The decision row is committed by the session before any order leaves."""
        if self.read_only:
            self.call_from_thread(self.notify, READ_ONLY_NOTICE, severity="warning")
            return
        if self.session is None:
            return
        if decision == "approve":
            self.session.approve(action_id, operator="console")
        else:
            self.session.reject(action_id, operator="console")
        self.call_from_thread(self.notify, f"action {action_id}: {DECISION_WORDS[decision]}")

    def action_propose_exit(self) -> None:
        if self.read_only:
            self.notify(READ_ONLY_NOTICE, severity="warning")
        elif self.session is None:
            self.notify("proposing an exit needs the live session", severity="warning")
        else:
            self.propose_exit()

    @work(thread=True, group="decisions", exit_on_error=False)
    def propose_exit(self) -> None:
        answer = self.session.propose_exit(operator="console")
        self.call_from_thread(self.notify, f"propose exit: {answer}", timeout=8)

    def action_reset_breaker(self) -> None:
        from console.screens.confirm import ConfirmScreen

        if self.read_only:
            self.notify(READ_ONLY_NOTICE, severity="warning")
            return
        if self.session is None:
            return
        waiting = self._waiting_count()
        detail = "The high-water mark becomes the current equity and the breaker NORMAL."
        if waiting:
            detail += f" {waiting} action(s) wait for a decision."
        self.push_screen(ConfirmScreen("Reset the breaker?", detail, yes="Reset"),
                         lambda yes: self.reset_breaker() if yes else None)

    @work(thread=True, group="decisions", exit_on_error=False)
    def reset_breaker(self) -> None:
        self.session.reset_breaker(operator="console")
        self.call_from_thread(self.notify, "breaker reset: the high-water mark is now the current equity")

    def _waiting_count(self) -> int:
        snap = self.snapshot
        return 0 if snap is None else sum(1 for a in snap.pending_actions if a.status == ActionStatus.PENDING)

    async def action_quit(self) -> None:
        from console.screens.confirm import ConfirmScreen

        waiting = self._waiting_count()
        if not waiting:
            self.exit()
            return
        self.push_screen(ConfirmScreen(f"Quit while {waiting} action(s) wait for approval?",
                                       "Exchange-side stops stay on the exchange; the actions wait in the database "
                                       "(`evorisk actions`).", yes="Quit"),
                         lambda yes: self.exit() if yes else None)

    # ---- paper scenarios and sizing ------------------------------------------------------------
    def action_scenario(self, name: str) -> None:
        if self.session is None or not self.session.can_switch_scenario:
            self.notify("scenarios exist only on the paper exchange", severity="warning")
            return
        self.session.switch_scenario(name)
        self.notify(f"paper exchange: scenario {name}")

    def action_toggle_protection(self) -> None:
        if self.session is None:
            self.notify("standing exits need the live session", severity="warning")
            return
        if self.read_only:
            self.notify(READ_ONLY_NOTICE, severity="warning")
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

    def action_size_position(self) -> None:
        from console.screens.sizing import SizingScreen

        if self.session is None:
            self.notify("sizing needs the live session", severity="warning")
            return
        self.push_screen(SizingScreen(self.session))
