"""Event log over app_log (breaker transitions are logged there too), filterable by level and text."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Select

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
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        for col in ("time (UTC)", "level", "source", "message"):
            table.add_column(col)

    @property
    def filters(self) -> tuple[str, str]:
        level = self.query_one("#log-level", Select).value
        return (str(level) if level != Select.NULL else "INFO", self.query_one("#log-text", Input).value.strip())

    def show(self, rows: list[dict]) -> None:
        table = self.query_one("#log-table", DataTable)
        table.clear()
        for r in rows:
            table.add_row(r["ts"][11:19], Text(r["level"], style=LEVEL_STYLE.get(r["level"], "")),
                          r["logger"], r["message"])
