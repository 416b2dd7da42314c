"""Correlation matrix of held coins as a heat table, and concentration bars against the genome's limits."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

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


def concentration_bar(fraction: float, limit: float) -> Text:
    """Bar scaled so the limit sits at 3/4 of the width; red beyond the limit."""
    scale = limit / 0.75 if limit > 0 else 1.0
    filled = min(int(fraction / scale * BAR_CELLS), BAR_CELLS)
    limit_at = int(0.75 * BAR_CELLS)
    text = Text()
    for i in range(BAR_CELLS):
        if i == limit_at:
            text.append("|", style="bold")
        elif i < filled:
            text.append("█", style="red" if i >= limit_at else "green")
        else:
            text.append("·", style="dim")
    return text


class CorrelationPanel(Static):
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
        for p in sorted(snap.positions, key=lambda p: -p.concentration):
            bars.add_row(p.coin, concentration_bar(p.concentration, snap.concentration_limit),
                         Text(f"{p.concentration:.1%}", style="red" if p.concentration > snap.concentration_limit else ""))
        from rich.console import Group

        self.update(Group(grid if coins else Text("no held coins", style="dim"), summary,
                          Text(f"concentration (limit {snap.concentration_limit:.1%} of equity)", style="bold"), bars))
