"""Correlation matrix of held coins as a heat table, and concentration bars against the genome's limits."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from console.widgets.snapshot_watch import follow_snapshot
from core.monitor.snapshot import RiskSnapshot

BAR_CELLS = 20


def heat(value: float | None) -> Text:
    if value is None:
        return Text("  -  ", style="dim")
    if value >= 0.8:
        style = "bold white on red"
    elif value >= 0.6:
        style = "black on dark_orange"
    elif value >= 0.3:
        style = "black on yellow"
    elif value >= -0.3:
        style = "white on grey23"
    else:
        style = "black on cyan"
    return Text(f"{value:+.2f}", style=style)


def bar_scale(fractions: list[float], limit: float) -> float:
    """The fraction a full bar stands for: the limit at 3/4 of the width, widened so the largest
    holding still fits (bars that all saturate would show 39.9 % and 24.9 % alike)."""
    return max(limit / 0.75 if limit > 0 else 1.0, max(fractions, default=0.0) * 1.05)


def concentration_bar(fraction: float, limit: float, scale: float | None = None, cells: int = BAR_CELLS) -> Text:
    """A bar of `cells` with the limit marked `|`; red beyond the limit."""
    scale = scale or bar_scale([fraction], limit)
    filled = min(round(fraction / scale * cells), cells)
    limit_at = min(int(limit / scale * cells), cells - 1)
    text = Text()
    for i in range(cells):
        if i == limit_at:
            text.append("|", style="bold")
        elif i < filled:
            text.append("█", style="red" if i >= limit_at else "green")
        else:
            text.append("·", style="dim")
    return text


class CorrelationPanel(Static):
    def on_mount(self) -> None:
        follow_snapshot(self)

    def show(self, snap: RiskSnapshot) -> None:
        grid = Table.grid(padding=(0, 1))
        coins = snap.correlation_coins
        grid.add_column("")
        for c in coins:
            grid.add_column(c, justify="center")
        grid.add_row("", *[Text(c, style="bold") for c in coins])
        for c, row in zip(coins, snap.correlation_matrix):
            grid.add_row(Text(c, style="bold"), *[heat(v) for v in row])
        wc = snap.weighted_correlation
        over = wc is not None and wc > snap.correlation_limit
        summary = Text(f"weighted corr {'n/a' if wc is None else f'{wc:+.2f}'} / limit {snap.correlation_limit:.2f}",
                       style="bold red" if over else "")
        bars = Table.grid(padding=(0, 1))
        bars.add_column()
        bars.add_column()
        bars.add_column(justify="right")
        scale = bar_scale([p.concentration for p in snap.positions], snap.concentration_limit)
        for p in sorted(snap.positions, key=lambda p: -p.concentration):
            bars.add_row(p.coin, concentration_bar(p.concentration, snap.concentration_limit, scale),
                         Text(f"{p.concentration:.1%}", style="red" if p.concentration > snap.concentration_limit else ""))

        self.update(Group(grid if coins else Text("no held coins", style="dim"), summary,
                          Text(f"concentration (limit {snap.concentration_limit:.1%} of equity)", style="bold"), bars))
