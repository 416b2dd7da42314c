"""The Log tab: the event log (app_log), filterable by level and text, re-read while it is shown."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult

from console.messages import LogRowsRead
from console.panes.base import Pane
from console.widgets.log_panel import LogPanel

LOG_ROWS_SHOWN = 300  # the newest rows matching the filters


class LogPane(Pane):
    """The Log tab pane."""

    def compose(self) -> ComposeResult:
        yield LogPanel(id="log-panel")

    def refresh_rows(self) -> None:
        """Re-read the log with the filters shown (the App asks while the Log tab is active)."""
        if self.console.store is None:
            return
        level, text = self.query_one("#log-panel", LogPanel).filters
        self.read_rows(level, text)

    @work(thread=True, exclusive=True, group="log", exit_on_error=False)
    def read_rows(self, level: str, text: str) -> None:
        from storage.log_repo import LogRepo  # storage loads sqlite-utils, which loads pandas

        rows = LogRepo(self.console.store).recent_logs(limit=LOG_ROWS_SHOWN, min_level=level, text=text or None)
        self.post_message(LogRowsRead(rows))

    def on_log_rows_read(self, message: LogRowsRead) -> None:
        self.query_one("#log-panel", LogPanel).show(message.rows)
