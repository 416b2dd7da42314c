"""The Runs tab: the runs table and its actions (resume, the out-of-sample report, promoting the
best genome). Reading runs, computing a report and gathering promotion evidence take SQLite and
seconds of kernel work, so each runs in a thread worker that ends with a message."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button

from console.messages import PromotionReady, ReportReady, RunsListed
from console.panes.base import Pane
from console.screens.promote import PromoteScreen
from console.screens.report import ReportScreen
from console.widgets.runs_panel import RunsTable
from core.monitor.standing_preview import orders_to_rest, rule_summary
from core.vocabulary import RESUMABLE_RUN_STATUSES, RunStatus

if TYPE_CHECKING:  # the services load the store (sqlite_utils, pandas): types only
    from console.services.runs import PromotionCandidate

RESUMABLE = RESUMABLE_RUN_STATUSES
READ_ONLY_NOTICE = "read-only console: it watches, it never approves, promotes or sends"


@dataclass
class ResumeRequested(Message):
    """Resume this run on the Evolution tab (the App switches tabs and starts it there)."""

    run_id: int
    generations_total: int | None


class RunsPane(Pane):
    """The Runs tab pane; its buttons and the Runs keys (u, o, P, f) do the same."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-buttons"):
            yield Button("Resume (u)", id="run-resume")
            yield Button("Report (o)", id="run-report")
            yield Button("Promote best (P)", variant="warning", id="run-promote", disabled=self.console.read_only)
            yield Button("Refresh (f)", id="run-refresh")
        yield RunsTable(id="runs-table")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {"run-refresh": self.refresh_runs, "run-resume": self.resume_selected,
                    "run-report": self.report_selected, "run-promote": self.promote_selected}
        handler = handlers.get(event.button.id or "")
        if handler is not None:
            event.stop()
            handler()

    def act(self, what: str) -> None:
        """The Runs tab's letter keys (the same as its buttons)."""
        {"refresh": self.refresh_runs, "resume": self.resume_selected, "report": self.report_selected,
         "promote": self.promote_selected}[what]()

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def refresh_runs(self) -> None:
        from console.services.runs import run_rows  # heavy: the store

        store = self.console.store
        if store is not None:
            self.post_message(RunsListed(run_rows(store)))

    def on_runs_listed(self, message: RunsListed) -> None:
        self.query_one("#runs-table", RunsTable).show(message.rows)

    def resume_selected(self) -> None:
        row = self.query_one("#runs-table", RunsTable).selected()
        if row is None or row["status"] not in RESUMABLE:
            self.app.notify("select a cancelled, failed or interrupted run to resume", severity="warning")
            return
        self.post_message(ResumeRequested(row["id"], row["generations_total"]))

    def _selected_finished_run(self) -> dict | None:
        row = self.query_one("#runs-table", RunsTable).selected()
        if row is None or row["status"] != RunStatus.FINISHED or self.console.store is None:
            self.app.notify("select a finished run first", severity="warning")
            return None
        return row

    def report_selected(self) -> None:
        row = self._selected_finished_run()
        if row is not None:
            self.app.notify(f"computing run {row['id']}'s out-of-sample report...")
            self.show_report(row["id"])

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def show_report(self, run_id: int) -> None:
        from console.services.report import run_report  # heavy: the store and the kernel

        self.post_message(ReportReady(run_report(self.console.store, run_id)))

    def on_report_ready(self, message: ReportReady) -> None:
        self.app.push_screen(ReportScreen(message.doc))

    def promote_selected(self) -> None:
        if self.console.read_only:
            self.app.notify(READ_ONLY_NOTICE, severity="warning")
            return
        row = self._selected_finished_run()
        if row is not None:
            self.app.notify(f"gathering run {row['id']}'s out-of-sample evidence...")
            self.prepare_promotion(row["id"])

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def prepare_promotion(self, run_id: int) -> None:
        from console.services.runs import promotion_candidate  # heavy: the store and the kernel

        self.post_message(PromotionReady(promotion_candidate(self.console.store, run_id)))

    def on_promotion_ready(self, message: PromotionReady) -> None:
        cand = message.candidate

        def decided(ok: bool | None) -> None:
            if ok:
                self.promote(cand)
            else:
                self.app.notify("promotion cancelled: the live genome is unchanged")

        snap = self.console.snapshot
        positions = [{"coin": p.coin, "size": p.size, "entry_px": p.entry_px} for p in snap.positions] if snap else []
        standing = (rule_summary(cand.params), *orders_to_rest(cand.params, positions))
        self.app.push_screen(PromoteScreen(f"Promote run {cand.run_id}'s best genome into the live monitor?",
                                           cand.params, cand.live_params, cand.live_label, cand.oos_metrics,
                                           standing), decided)

    @work(thread=True, group="decisions", exit_on_error=False)
    def promote(self, cand: PromotionCandidate) -> None:
        """The promotion record is the only way a genome becomes active."""
        from console.services.runs import record_promotion  # heavy: the store

        if self.console.read_only:  # the key and the button refuse already; a second guard at the write
            return
        promotion_id = record_promotion(self.console.store, cand.run_id, cand, operator="console")
        self.notice(f"promotion {promotion_id}: run {cand.run_id}'s genome is live from the next poll")
