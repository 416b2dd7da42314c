"""The Evolution tab: choose data and settings, start, cancel or resume a run and watch its
progress. The run is driven in a thread worker that posts EvolutionProgress and EvolutionEnded;
the App routes those back here (and to the Runs tab), so a progress message shows the same
whoever posts it."""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.worker import Worker, WorkerState

from console.messages import ClusterJoined, EvolutionEnded, EvolutionProgress
from console.panes.base import Pane
from console.widgets.evolution_panel import EvolutionPanel
from core.vocabulary import RunStatus

if TYPE_CHECKING:  # core.evolution loads the kernel (numba): types only
    from core.evolution.cluster import ClusterInfo
    from core.evolution.loop import GenerationReport

PROGRESS_MIN_INTERVAL_S = 0.1  # at most ten evolution progress updates a second reach the UI


class EvolutionPane(Pane):
    """The Evolution tab pane; owns the run's stop event."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop_event = threading.Event()

    def compose(self) -> ComposeResult:
        yield EvolutionPanel(id="evolution-panel")

    @property
    def panel(self) -> EvolutionPanel:
        return self.query_one("#evolution-panel", EvolutionPanel)

    def on_evolution_panel_start_requested(self, message: EvolutionPanel.StartRequested) -> None:
        self.stop_event.clear()
        self.panel.set_running(True, None, message.generations)
        self.run_evolution(message.paths, message.population, message.generations, message.seed, None,
                           message.cluster)

    def on_evolution_panel_cancel_requested(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        self.stop_event.set()
        self.app.notify("evolution will stop after the current generation")

    def resume(self, run_id: int, generations_total: int | None) -> None:
        """Continue a cancelled, failed or interrupted run (the Runs tab asks)."""
        self.stop_event.clear()
        self.panel.set_running(True, run_id, generations_total)
        self.run_evolution([], 0, 0, 0, run_id)

    @work(thread=True, exclusive=True, group="evolution", exit_on_error=False)
    def run_evolution(self, paths: list[str], population: int, generations: int, seed: int,
                      resume_run_id: int | None, cluster: str | None = None) -> None:
        from console.services.runs import drive_evolution  # heavy: the store and the kernel

        last_post = [0.0]
        unsent: list[tuple[float, float]] = []

        def progress(rep: GenerationReport) -> None:
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

        def cluster_info(info: ClusterInfo) -> None:
            self.post_message(ClusterJoined(info.address, info.n_workers))

        run_id, status = drive_evolution(self.console.store, paths, population, generations, seed, resume_run_id,
                                         progress, self.stop_event, cluster, cluster_info)
        self.post_message(EvolutionEnded(run_id, status))

    def on_cluster_joined(self, message: ClusterJoined) -> None:
        self.panel.show_cluster(message.address, message.n_workers)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "evolution":
            self.panel.show_ended(0, RunStatus.FAILED, str(event.worker.error))

    def on_unmount(self) -> None:
        self.stop_event.set()
