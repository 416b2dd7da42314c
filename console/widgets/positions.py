"""Positions with the active genome's stop, trailing and take-profit levels and distance to each."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from core.monitor.snapshot import PositionRisk, RiskSnapshot

NEAR_FRACTION = 0.02  # a level closer than 2% of the mark is red
WATCH_FRACTION = 0.05  # closer than 5% is yellow
COLUMNS = ("coin", "side", "size", "entry", "mark", "uPnL $", "stop", "dist", "trail", "dist", "TP", "dist")


def price(px: float | None) -> str:
    if px is None:
        return "-"
    return f"{px:,.2f}" if px >= 100 else f"{px:.4g}"


def distance(d: float | None) -> Text:
    if d is None:
        return Text("-", style="dim")
    style = "bold red" if d < NEAR_FRACTION else "yellow" if d < WATCH_FRACTION else "green"
    return Text(f"{d:.1%}", style=style)


def row(p: PositionRisk) -> tuple:
    side = Text(p.side.upper(), style="green" if p.side == "long" else "magenta")
    pnl = Text(f"{p.unrealized_pnl_usd:+,.2f}", style="green" if p.unrealized_pnl_usd >= 0 else "red")
    return (Text(p.coin, style="bold"), side, f"{abs(p.size):g}", price(p.entry_px), price(p.mark_px), pnl,
            price(p.stop_px), distance(p.dist_stop), price(p.trail_px), distance(p.dist_trail),
            price(p.take_profit_px), distance(p.dist_take_profit))


class PositionsTable(DataTable):
    DEFAULT_CSS = "PositionsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for col in COLUMNS:
            self.add_column(col)

    def show(self, snap: RiskSnapshot) -> None:
        self.clear()
        for p in snap.positions:
            self.add_row(*row(p), key=p.coin)
        if not snap.positions:
            self.add_row(Text("no open positions", style="dim"), *[""] * (len(COLUMNS) - 1))
