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

KIND_TEXT = {"reduce": "HALVE all", "exit_all": "CLOSE all", "exit_coin": "CLOSE coin",
             "protective_stops": "stops", "time_exit": "CLOSE (time exit)"}
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
    if a.kind == "exit_coin" and a.orders:
        what = f"CLOSE {a.orders[0]['coin']}"
    urgent = a.kind in ("exit_all", "exit_coin", "reduce") and a.status == "pending"
    return Text(what, style="bold red" if urgent else "")


def exit_missing(snap: RiskSnapshot) -> bool:
    """The breaker is in a state that proposes a close, yet no close waits (rejected or expired)."""
    waiting = any(a.kind in ("exit_all", "reduce") and a.status == "pending" for a in snap.pending_actions)
    return snap.breaker_state in ("REDUCING", "EMERGENCY") and bool(snap.positions) and not waiting


class ActionsTable(SyncedTable):
    DEFAULT_CSS = "ActionsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.set_columns(COLUMNS)
        self.actions: dict[int, PendingActionView] = {}
        follow_snapshot(self)

    def show(self, snap: RiskSnapshot) -> None:
        self.actions = {a.id: a for a in snap.pending_actions}
        rows = [(str(a.id), (str(a.id), action_text(a), Text(a.status, style="bold" if a.status == "pending" else ""),
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
        order = {"exit_all": 0, "exit_coin": 1, "reduce": 2}
        waiting = [a for a in self.actions.values() if a.status == "pending"]
        return min(waiting, key=lambda a: (order.get(a.kind, 9), a.id), default=None)
