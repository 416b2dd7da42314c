"""Event log over app_log (breaker transitions are logged there too), filterable by level and text.
Rows are merged in place by log id (the cursor and scroll stay), and Enter opens a long line whole."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Select

from console.screens.log_detail import LogDetailScreen
from console.widgets.table_sync import SyncedTable

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LEVEL_STYLE = {"WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold white on red", "DEBUG": "dim"}


class LogPanel(Vertical):
    DEFAULT_CSS = """
    LogPanel #log-filters { height: auto; }
    LogPanel #log-filters Input { width: 1fr; }
    LogPanel #log-filters Select { width: 20; }
    LogPanel DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-filters"):
            yield Select([(lvl, lvl) for lvl in LEVELS], value="INFO", allow_blank=False, id="log-level")
            yield Input(placeholder="filter text (e.g. breaker, run 3, approve)", id="log-text")
        yield SyncedTable(id="log-table", zebra_stripes=True)

    def on_mount(self) -> None:
        self.rows_by_key: dict[str, dict] = {}
        self.query_one("#log-table", SyncedTable).set_columns(("time (UTC)", "level", "source", "message"))

    @property
    def filters(self) -> tuple[str, str]:
        level = self.query_one("#log-level", Select).value
        return (str(level) if level != Select.NULL else "INFO", self.query_one("#log-text", Input).value.strip())

    def show(self, rows: list[dict]) -> None:
        self.rows_by_key = {str(r["id"]): r for r in rows}
        self.query_one("#log-table", SyncedTable).sync(
            ((str(r["id"]), (r["ts"][11:19], Text(r["level"], style=LEVEL_STYLE.get(r["level"], "")),
                             r["logger"], r["message"])) for r in rows),
            empty=("", Text("no log lines match", style="dim"), "", ""))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self.rows_by_key.get(str(event.row_key.value))
        if row is not None:
            self.app.push_screen(LogDetailScreen(row))
