"""`?`: every key that works on the current screen right now, with what it does."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

MOUSE_NOTES = ("click a column header to sort by it (again: reverse)", "click a tab or a button to use it",
               "Enter on a log line opens it whole")


def key_rows(screen) -> list[tuple[str, str]]:
    """(key, description) of every enabled binding of `screen` (its widgets, itself and the app)."""
    own = {key for b in type(screen.app).BINDINGS for key in b.key.split(",")}  # the console's keys first
    rows, seen = [], set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not active.enabled or not binding.description or (key, binding.description) in seen:
            continue
        seen.add((key, binding.description))
        rows.append((key in own, screen.app.get_key_display(binding), binding.tooltip or binding.description))
    rows.sort(key=lambda r: not r[0])  # stable: each group keeps the bindings' order
    return [(key, what) for _, key, what in rows]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: auto; max-height: 90%;
                                  border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close help")]

    def __init__(self, title: str, rows: list[tuple[str, str]]):
        super().__init__()
        self.title_text, self.rows = title, rows

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in self.rows:
            table.add_row(key, what)
        table.add_row("", "")
        for note in MOUSE_NOTES:
            table.add_row("mouse", Text(note, style="dim"))
        with VerticalScroll():
            yield Static(table, id="help-keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = f"Keys: {self.title_text} (Esc closes)"
