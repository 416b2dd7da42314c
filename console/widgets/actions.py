"""Pending actions waiting for an operator: what they will do, and how to decide."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from core.monitor.snapshot import PendingActionView, RiskSnapshot

KIND_TEXT = {"reduce": "HALVE all positions", "exit_all": "CLOSE everything", "protective_stops": "protective stops",
             "time_exit": "CLOSE (time exit due)"}


class ActionsTable(DataTable):
    DEFAULT_CSS = "ActionsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for col in ("id", "action", "orders", "status", "why"):
            self.add_column(col)
        self.actions: dict[int, PendingActionView] = {}

    def show(self, snap: RiskSnapshot) -> None:
        self.clear()
        self.actions = {a.id: a for a in snap.pending_actions}
        for a in snap.pending_actions:
            style = "bold red" if a.kind == "exit_all" and a.status == "pending" else ""
            self.add_row(str(a.id), Text(KIND_TEXT.get(a.kind, a.kind), style=style), str(len(a.orders)),
                         a.status, a.reason, key=str(a.id))
        if not snap.pending_actions:
            self.add_row("", Text("nothing waiting for approval", style="dim"), "", "", "")

    def selected(self) -> PendingActionView | None:
        if not self.actions or self.cursor_row is None:
            return None
        try:
            key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except CellDoesNotExist:
            return None
        return self.actions.get(int(key)) if key and key.isdigit() else None
