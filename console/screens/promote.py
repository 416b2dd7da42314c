"""Promotion modal: the parameter diff against the live genome and the out-of-sample evidence."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from core.genome import GENE_SPECS, RiskParams, decoded_rows


def evidence_text(m: dict[str, Any]) -> Text:
    """One readable paragraph of the out-of-sample evidence (or why there is none)."""
    if "oos_sharpe" not in m:
        text = Text(f"No out-of-sample evidence ({m.get('out_of_sample', 'no report')}); "
                    f"training fitness {m.get('train_fitness', float('nan')):.3f}.", style="yellow")
        if m.get("evolved_on"):
            text.append(f"  {m['evolved_on'].capitalize()}.")
        return text
    text = Text(f"Out of sample ({m['test_windows']} test windows): Sharpe {m['oos_sharpe']:.2f}, "
                f"max drawdown {m['oos_max_drawdown']:.1%}, return {m['oos_total_return']:+.1%} per window, "
                f"fitness {m['oos_fitness']:.3f} (training {m['train_fitness']:.3f}).")
    claims = [(k.removeprefix("claim_"), v) for k, v in m.items() if k.startswith("claim_")]
    if claims:
        text.append("  Design-note claims: " + ", ".join(f"{name} {verdict}" for name, verdict in claims) + ".",
                    style="italic")
    if m.get("evolved_on"):
        text.append(f"  {m['evolved_on'].capitalize()}.")
    return text


def standing_text(lines: tuple[str, ...]) -> Text:
    """Promoting approves the genome's standing exits: say so and list what will rest."""
    text = Text("Promoting approves its standing exits (recorded): reduce-only orders rest on the exchange: ",
                style="bold")
    text.append(lines[0])
    for line in lines[1:]:
        text.append("\n  " + line)
    return text


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
                 oos_metrics: dict[str, Any], standing: tuple[str, ...] = ()):
        super().__init__()
        self.standing = standing  # rule summary, then one line per order that will rest
        self.title_text = title
        self.candidate = candidate
        self.live = live
        self.live_label = live_label
        self.oos_metrics = oos_metrics

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield Static(evidence_text(self.oos_metrics), id="evidence")
            if self.standing:
                yield Static(standing_text(self.standing), id="standing")
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
