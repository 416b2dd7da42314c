"""Runs and their champions: resume, report, promote. Updated in place and sortable."""
from __future__ import annotations

from rich.text import Text

from console.widgets.table_sync import SyncedTable

STATUS_STYLE = {"finished": "green", "running": "cyan", "cancelled": "yellow", "failed": "red",
                "interrupted": "magenta"}
COLUMNS = ("id", "status", "generations", "best fitness", "created", "data")


class RunsTable(SyncedTable):
    DEFAULT_CSS = "RunsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.set_columns(COLUMNS)
        self.rows_by_id: dict[int, dict] = {}

    def show(self, rows: list[dict]) -> None:
        self.rows_by_id = {r["id"]: r for r in rows}
        cells = []
        for r in rows:
            done = "-" if r["generations_done"] is None else str(r["generations_done"])
            best = "-" if r["best_fitness"] is None else f"{r['best_fitness']:.4f}"
            cells.append((str(r["id"]), (str(r["id"]), Text(r["status"], style=STATUS_STYLE.get(r["status"], "")),
                                         f"{done}/{r['generations_total']}", best,
                                         r["created_at"][:19].replace("T", " "), r["data"])))
        self.sync(cells, empty=("", Text("no runs yet: start one in the Evolution tab", style="dim"), "", "", "", ""))

    def selected(self) -> dict | None:
        key = self.selected_key()
        return self.rows_by_id.get(int(key)) if key and key.isdigit() else None
