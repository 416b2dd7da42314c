"""Evolution: choose data and settings, start / cancel / resume, and watch progress live."""
from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, ProgressBar, Sparkline, Static

from console.messages import EvolutionProgress

SHARED_DAILY = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "crypto-daily"


def default_data_path() -> str:
    return str(SHARED_DAILY) if SHARED_DAILY.exists() else ""


def eta_text(eta_s: float | None) -> str:
    if eta_s is None:
        return "estimating..."
    h, rest = divmod(int(eta_s), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def paced_eta_s(first: tuple[float, int] | None, now_s: float, generation: int, total: int) -> float | None:
    """ETA from the pace since the first progress message: the first generation also loads the
    data and compiles the kernel, so an ETA that includes it is off by minutes (138:03)."""
    if first is None or generation <= first[1]:
        return None
    per_generation_s = (now_s - first[0]) / (generation - first[1])
    return per_generation_s * max(total - generation, 0)


class EvolutionPanel(Vertical):
    DEFAULT_CSS = """
    EvolutionPanel { height: 1fr; }
    EvolutionPanel #evo-form { height: auto; }
    EvolutionPanel #evo-labels { height: 1; color: $text-muted; }
    EvolutionPanel #evo-labels .wide { width: 1fr; padding: 0 1; }
    EvolutionPanel #evo-labels .small { width: 16; padding: 0 1; }
    EvolutionPanel #evo-form Input { width: 1fr; }
    EvolutionPanel #evo-form .small { width: 16; }
    EvolutionPanel #evo-buttons { height: auto; }
    EvolutionPanel #evo-buttons Button { margin-right: 1; }
    EvolutionPanel #evo-cluster-address { width: 50; }
    EvolutionPanel #evo-cluster { width: 1fr; padding: 1 1; color: $text-muted; }
    EvolutionPanel #evo-status { width: 1fr; }
    EvolutionPanel Sparkline { height: 4; }
    EvolutionPanel .spark-label { color: $text-muted; }
    """

    class StartRequested(Message):
        def __init__(self, paths: list[str], population: int, generations: int, seed: int, cluster: str | None):
            super().__init__()
            self.paths, self.population, self.generations, self.seed = paths, population, generations, seed
            self.cluster = cluster

    class CancelRequested(Message):
        pass

    def compose(self) -> ComposeResult:
        with Horizontal(id="evo-labels"):
            yield Label("data: CSV files, folders or hl:COINS@1d", classes="wide")
            yield Label("population", classes="small")
            yield Label("generations", classes="small")
            yield Label("seed", classes="small")
        with Horizontal(id="evo-form"):
            yield Input(default_data_path(), placeholder="CSV files or folders (space separated)", id="evo-data")
            yield Input("50", placeholder="pop", id="evo-pop", classes="small", type="integer")
            yield Input("100", placeholder="gens", id="evo-gens", classes="small", type="integer")
            yield Input("1", placeholder="seed", id="evo-seed", classes="small", type="integer")
        with Horizontal(id="evo-buttons"):
            yield Button("Start", variant="primary", id="evo-start")
            yield Button("Cancel", variant="warning", id="evo-cancel", disabled=True)
            yield Input(placeholder="cluster (optional): local:2 or tcp://host:8786", id="evo-cluster-address")
            yield Static("evaluating on this machine", id="evo-cluster")
        yield Label("No evolution running. Start one, or resume a run from the Runs tab.", id="evo-status")
        yield ProgressBar(total=100, show_eta=False, id="evo-bar")
        yield Label("best fitness per generation", classes="spark-label")
        yield Sparkline([], id="evo-best")
        yield Label("mean fitness per generation", classes="spark-label")
        yield Sparkline([], id="evo-mean")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "evo-start":
            try:
                pop = int(self.query_one("#evo-pop", Input).value)
                gens = int(self.query_one("#evo-gens", Input).value)
                seed = int(self.query_one("#evo-seed", Input).value)
            except ValueError:
                self.app.notify("population, generations and seed must be whole numbers", severity="error")
                return
            paths = self.query_one("#evo-data", Input).value.split()
            if not paths:
                self.app.notify("give at least one CSV file or folder", severity="error")
                return
            cluster = self.query_one("#evo-cluster-address", Input).value.strip() or None
            self.post_message(self.StartRequested(paths, pop, gens, seed, cluster))
        elif event.button.id == "evo-cancel":
            self.post_message(self.CancelRequested())

    def set_running(self, running: bool, run_id: int | None = None, total: int | None = None) -> None:
        self.query_one("#evo-start", Button).disabled = running
        self.query_one("#evo-cancel", Button).disabled = not running
        if running:
            self.best: list[float] = []
            self.mean: list[float] = []
            self.query_one("#evo-best", Sparkline).data = []
            self.query_one("#evo-mean", Sparkline).data = []
            bar = self.query_one("#evo-bar", ProgressBar)
            bar.update(total=total or 100, progress=0)
            self._first_progress: tuple[float, int] | None = None
            who = "new run" if run_id is None else f"run {run_id}"
            self.query_one("#evo-status", Label).update(f"{who}: loading data and compiling the kernel...")

    def show_progress(self, p: EvolutionProgress) -> None:
        if not hasattr(self, "best"):
            self.best, self.mean = [], []
        for best, mean in p.history or ((p.best, p.mean),):
            self.best.append(best)
            self.mean.append(mean)
        self.query_one("#evo-best", Sparkline).data = list(self.best)
        self.query_one("#evo-mean", Sparkline).data = list(self.mean)
        self.query_one("#evo-bar", ProgressBar).update(total=p.generations_total, progress=p.generation)
        now = time.monotonic()
        first = getattr(self, "_first_progress", None)
        if first is None:
            self._first_progress = (now, p.generation)
        eta = paced_eta_s(first, now, p.generation, p.generations_total)
        self.query_one("#evo-status", Label).update(
            f"run {p.run_id}: generation {p.generation}/{p.generations_total}  best {p.best:.4f}  "
            f"mean {p.mean:.4f}  {p.evals_per_s:,.0f} evals/s  ETA {eta_text(eta)}")

    def show_cluster(self, address: str, n_workers: int) -> None:
        self.query_one("#evo-cluster", Static).update(f"cluster {address}: {n_workers} worker(s)")

    def show_ended(self, run_id: int, status: str, detail: str) -> None:
        self.set_running(False)
        self.query_one("#evo-status", Label).update(f"run {run_id} {status}. {detail}")
