"""Messages that carry results from worker threads to widgets; threads never touch widgets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from core.monitor.snapshot import RiskSnapshot


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
class StoreChanged(Message):
    """Rows the console lists (runs, actions, log) may have changed."""

    what: str
    payload: Any = None


@dataclass
class AlertRaised(Message):
    """An alert reached the console channel (from the dispatcher's thread). The app shows a toast
    and rings the bell; any widget (a status line) may also handle it."""

    alert: Any  # core.alerts.model.Alert


@dataclass
class AlarmRaised(Message):
    """Something an operator must notice now: the status line flashes and the terminal bells.
    Posted for breaker transitions and new actions; the perp-risk alerts post it too."""

    text: str
    severity: str = "error"  # "warning" | "error" (the toast's severity)
    title: str = "ALARM"  # the toast's title (an alert event's own title when it comes from one)
