"""Runs and their champions: resume, report, promote."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

STATUS_STYLE = {"finished": "green", "running": "cyan", "cancelled": "yellow", "failed": "red",
                "interrupted": "magenta"}


class RunsTable(DataTable):
    DEFAULT_CSS = "RunsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for col in ("id", "status", "generations", "best fitness", "created", "data"):
            self.add_column(col)
        self.rows_by_id: dict[int, dict] = {}

    def show(self, rows: list[dict]) -> None:
        self.clear()
        self.rows_by_id = {r["id"]: r for r in rows}
        for r in rows:
            done = "-" if r["generations_done"] is None else str(r["generations_done"])
            best = "-" if r["best_fitness"] is None else f"{r['best_fitness']:.4f}"
            self.add_row(str(r["id"]), Text(r["status"], style=STATUS_STYLE.get(r["status"], "")),
                         f"{done}/{r['generations_total']}", best, r["created_at"][:19].replace("T", " "),
                         r["data"], key=str(r["id"]))
        if not rows:
            self.add_row("", Text("no runs yet: start one in the Evolution tab", style="dim"), "", "", "", "")

    def selected(self) -> dict | None:
        try:
            key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except CellDoesNotExist:
            return None
        return self.rows_by_id.get(int(key)) if key and key.isdigit() else None
