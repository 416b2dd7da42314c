"""The Evolution and Runs side of the app: start, cancel and resume runs, watch progress, report
and promote. A mixin of EvoriskApp; the heavy work runs in thread workers that post messages.
"""
from __future__ import annotations

from textual import work
from textual.widgets import Button, TabbedContent

from console.messages import EvolutionEnded, EvolutionProgress
from console.widgets.evolution_panel import EvolutionPanel
from console.widgets.runs_panel import RunsTable

PROGRESS_MIN_INTERVAL_S = 0.1  # at most ten evolution progress updates a second reach the UI
RESUMABLE = ("cancelled", "failed", "interrupted")


class RunsActions:
    """Mixed into EvoriskApp (uses its store, _evolution_stop and read_only)."""

    def on_evolution_panel_start_requested(self, message: EvolutionPanel.StartRequested) -> None:
        self._evolution_stop.clear()
        self.panel("#evolution-panel", EvolutionPanel).set_running(True, None, message.generations)
        self.run_evolution(message.paths, message.population, message.generations, message.seed, None,
                           message.cluster)

    def on_evolution_panel_cancel_requested(self) -> None:
        self.cancel_evolution()

    def cancel_evolution(self) -> None:
        self._evolution_stop.set()
        self.notify("evolution will stop after the current generation")

    @work(thread=True, exclusive=True, group="evolution", exit_on_error=False)
    def run_evolution(self, paths: list[str], population: int, generations: int, seed: int,
                      resume_run_id: int | None, cluster: str | None = None) -> None:
        import time

        from console.services.runs import drive_evolution

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
            panel = self.panel("#evolution-panel", EvolutionPanel)
            self.call_from_thread(panel.show_cluster, info.address, info.n_workers)

        run_id, status = drive_evolution(self.store, paths, population, generations, seed, resume_run_id,
                                         progress, self._evolution_stop, cluster, cluster_info)
        self.post_message(EvolutionEnded(run_id, status))

    def on_evolution_progress(self, message: EvolutionProgress) -> None:
        self.panel("#evolution-panel", EvolutionPanel).show_progress(message)
        if message.run_id not in self._runs_listed:  # the Runs table shows the run as running at once
            self._runs_listed.add(message.run_id)
            self.refresh_runs()

    def on_evolution_ended(self, message: EvolutionEnded) -> None:
        self.panel("#evolution-panel", EvolutionPanel).show_ended(message.run_id, message.status, message.detail)
        self.notify(f"run {message.run_id} {message.status}")
        self.refresh_runs()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {"run-refresh": self.refresh_runs, "run-resume": self.resume_selected,
                    "run-report": self.report_selected, "run-promote": self.promote_selected}
        handler = handlers.get(event.button.id or "")
        if handler is not None:
            event.stop()
            handler()

    def action_runs(self, what: str) -> None:
        """The Runs tab's letter keys (the same as its buttons)."""
        {"refresh": self.refresh_runs, "resume": self.resume_selected, "report": self.report_selected,
         "promote": self.promote_selected}[what]()

    def resume_selected(self) -> None:
        row = self.panel("#runs-table", RunsTable).selected()
        if row is None or row["status"] not in RESUMABLE:
            self.notify("select a cancelled, failed or interrupted run to resume", severity="warning")
            return
        self._evolution_stop.clear()
        self.set_focus(None)  # focus left on the Resume button would pull the Runs tab back
        self.panel("#tabs", TabbedContent).active = "evolution"
        self.panel("#evolution-panel", EvolutionPanel).set_running(True, row["id"], row["generations_total"])
        self.run_evolution([], 0, 0, 0, row["id"])

    def _selected_finished_run(self) -> dict | None:
        row = self.panel("#runs-table", RunsTable).selected()
        if row is None or row["status"] != "finished" or self.store is None:
            self.notify("select a finished run first", severity="warning")
            return None
        return row

    def report_selected(self) -> None:
        row = self._selected_finished_run()
        if row is not None:
            self.notify(f"computing run {row['id']}'s out-of-sample report...")
            self.show_report(row["id"])

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def show_report(self, run_id: int) -> None:
        from console.services.report import run_report
        from console.screens.report import ReportScreen

        doc = run_report(self.store, run_id)
        self.call_from_thread(self.push_screen, ReportScreen(doc))

    def promote_selected(self) -> None:
        if self.read_only:
            self.notify("read-only console: it watches, it never approves, promotes or sends", severity="warning")
            return
        row = self._selected_finished_run()
        if row is not None:
            self.notify(f"gathering run {row['id']}'s out-of-sample evidence...")
            self.prepare_promotion(row["id"])

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def prepare_promotion(self, run_id: int) -> None:
        from console.services.runs import promotion_candidate

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
        from console.services.runs import record_promotion

        if self.read_only:  # the key and the button refuse already; a second guard at the write
            return
        promotion_id = record_promotion(self.store, cand.run_id, cand, operator="console")
        self.call_from_thread(self.notify, f"promotion {promotion_id}: run {cand.run_id}'s genome is live "
                                           "from the next poll")

