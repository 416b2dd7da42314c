"""Pending actions waiting for an operator: what they will do, their status and age, and how to decide.

The columns that matter most come first (action, status, age), so a narrow panel cuts only the
order count and the reason. While the breaker asks for an exit that no longer waits (rejected or
expired), a hint row says how to propose it again.
"""
from __future__ import annotations

from rich.text import Text

from console.widgets.snapshot_watch import follow_snapshot
from console.widgets.table_sync import SyncedTable
from core.monitor.snapshot import PendingActionView, RiskSnapshot
from core.vocabulary import OPERATOR_APPROVED_KINDS, ActionKind, ActionStatus, BreakerState

KIND_TEXT = {ActionKind.REDUCE: "HALVE all", ActionKind.EXIT_ALL: "CLOSE all", ActionKind.EXIT_COIN: "CLOSE coin",
             ActionKind.PROTECTIVE_STOPS: "stops", ActionKind.TIME_EXIT: "CLOSE (time exit)"}
CLOSING_KINDS = (ActionKind.EXIT_ALL, ActionKind.REDUCE)  # what the breaker proposes in REDUCING / EMERGENCY
CLOSING_STATES = (BreakerState.REDUCING.name, BreakerState.EMERGENCY.name)
URGENCY = {ActionKind.EXIT_ALL: 0, ActionKind.EXIT_COIN: 1, ActionKind.REDUCE: 2}  # an exit before a halving
COLUMNS = ("id", "action", "status", "age", "orders", "why")
REPROPOSE_KEY = "__repropose__"


def age_text(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.0f}h"


def action_text(a: PendingActionView) -> Text:
    what = KIND_TEXT.get(a.kind, a.kind)
    if a.kind == ActionKind.EXIT_COIN and a.orders:
        what = f"CLOSE {a.orders[0]['coin']}"
    urgent = a.kind in OPERATOR_APPROVED_KINDS and a.status == ActionStatus.PENDING
    return Text(what, style="bold red" if urgent else "")


def exit_missing(snap: RiskSnapshot) -> bool:
    """The breaker is in a state that proposes a close, yet no close waits (rejected or expired)."""
    waiting = any(a.kind in CLOSING_KINDS and a.status == ActionStatus.PENDING for a in snap.pending_actions)
    return snap.breaker_state in CLOSING_STATES and bool(snap.positions) and not waiting


class ActionsTable(SyncedTable):
    DEFAULT_CSS = "ActionsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.set_columns(COLUMNS)
        self.actions: dict[int, PendingActionView] = {}
        follow_snapshot(self)

    def show(self, snap: RiskSnapshot) -> None:
        self.actions = {a.id: a for a in snap.pending_actions}
        rows = [(str(a.id), (str(a.id), action_text(a), Text(a.status, style="bold" if a.status == ActionStatus.PENDING else ""),
                             age_text((snap.time_ms - a.created_ms) / 1000), str(len(a.orders)), a.reason))
                for a in snap.pending_actions]
        if exit_missing(snap):
            rows.append((REPROPOSE_KEY, ("", Text("no exit waiting", style="yellow"), "", "",
                                         "", Text("press p to propose the exit again", style="yellow"))))
        self.sync(rows, empty=("", Text("none", style="dim"), "", "", "", Text("nothing waits for approval", style="dim")))

    def selected(self) -> PendingActionView | None:
        key = self.selected_key()
        return self.actions.get(int(key)) if key and key.isdigit() else None

    def first_pending(self) -> PendingActionView | None:
        """The most urgent waiting action: an exit before a halving before anything else."""
        waiting = [a for a in self.actions.values() if a.status == ActionStatus.PENDING]
        return min(waiting, key=lambda a: (URGENCY.get(a.kind, 9), a.id), default=None)
