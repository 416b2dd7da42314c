"""Promotion modal: the parameter diff against the live genome and the out-of-sample evidence."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from core.genome import GENE_SPECS, RiskParams, decoded_rows


class PromoteScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    PromoteScreen { align: center middle; }
    PromoteScreen > Vertical { width: 90%; max-width: 110; height: 90%; border: thick $warning;
                               background: $surface; padding: 1 2; }
    PromoteScreen DataTable { height: 1fr; }
    PromoteScreen Horizontal { height: auto; align: right middle; }
    PromoteScreen Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, candidate: RiskParams, live: RiskParams, live_label: str,
                 oos_metrics: dict[str, Any]):
        super().__init__()
        self.title_text = title
        self.candidate = candidate
        self.live = live
        self.live_label = live_label
        self.oos_metrics = oos_metrics

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            metrics = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                for k, v in self.oos_metrics.items()) or "no out-of-sample report yet"
            yield Label(f"Out of sample: {metrics}")
            yield DataTable(id="diff", cursor_type="none")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Promote to live", variant="warning", id="promote")

    def on_mount(self) -> None:
        table = self.query_one("#diff", DataTable)
        for col in ("parameter", f"live ({self.live_label})", "candidate", "unit"):
            table.add_column(col)
        live_rows = {r[1]: r[2] for r in decoded_rows(self.live)}
        for idx, name, text, unit in decoded_rows(self.candidate):
            changed = live_rows[name] != text
            table.add_row(Text(name, style="bold" if changed else "dim"), live_rows[name],
                          Text(text, style="bold yellow" if changed else ""), unit)
        assert len(GENE_SPECS) == table.row_count

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "promote")

    def action_cancel(self) -> None:
        self.dismiss(False)
