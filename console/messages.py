"""Messages that carry results from worker threads to widgets; threads never touch widgets.

A worker ends by posting one of these (post_message is thread-safe); the handler, on the UI
thread, hands the data to its own widgets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import Worker

from core.alerts.model import Alert
from core.monitor.snapshot import RiskSnapshot

if TYPE_CHECKING:  # the services load the store (sqlite_utils, pandas): types only
    from console.services.runs import PromotionCandidate


@dataclass
class SnapshotReady(Message):
    """One monitor cycle finished."""

    snapshot: RiskSnapshot


@dataclass
class EvolutionProgress(Message):
    """One generation of a running evolution finished."""

    run_id: int
    generation: int
    generations_total: int
    best: float
    mean: float
    evals_per_s: float
    eta_s: float | None
    history: tuple[tuple[float, float], ...] = ()  # (best, mean) of every generation since the last message


@dataclass
class EvolutionEnded(Message):
    run_id: int
    status: str  # finished | cancelled | failed
    detail: str = ""


@dataclass
class StoreOpened(Message):
    """The console's store is open: list the runs, start the live session."""


@dataclass
class RunsListed(Message):
    """The Runs table's rows, read in a worker."""

    rows: list[dict[str, Any]]


@dataclass
class LogRowsRead(Message):
    """The event log's rows matching the filters, read in a worker."""

    rows: list[dict[str, Any]]


@dataclass
class ReportReady(Message):
    """A run's out-of-sample report document, computed in a worker."""

    doc: dict[str, Any]


@dataclass
class PromotionReady(Message):
    """A run's best genome beside the live one with its evidence: ask the operator."""

    candidate: PromotionCandidate


@dataclass
class ClusterJoined(Message):
    """The evolution's generations are evaluated on a Dask cluster."""

    address: str
    n_workers: int


@dataclass
class Notice(Message):
    """A toast a worker asks for (the App shows it on the UI thread)."""

    text: str
    severity: str = "information"
    title: str = ""
    timeout_s: float | None = None


@dataclass
class WorkerFailed(Message):
    """A worker raised: the App's one handler logs it and shows a notice."""

    worker: Worker


@dataclass
class AlertRaised(Message):
    """An alert reached the console channel (from the dispatcher's thread). The app shows a toast
    and rings the bell; any widget (a status line) may also handle it."""

    alert: Alert


@dataclass
class AlarmRaised(Message):
    """Something an operator must notice now: the status line flashes and the terminal bells.
    Posted for breaker transitions and new actions; the perp-risk alerts post it too."""

    text: str
    severity: str = "error"  # "warning" | "error" (the toast's severity)
    title: str = "ALARM"  # the toast's title (an alert event's own title when it comes from one)
