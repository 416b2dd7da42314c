"""Positions with the active genome's stop, trailing and take-profit levels and distance to each."""
from __future__ import annotations

from rich.text import Text

from console.widgets.table_sync import SyncedTable
from core.monitor.snapshot import PositionRisk, RiskSnapshot

NEAR_FRACTION = 0.02  # a level closer than 2% of the mark is red
WATCH_FRACTION = 0.05  # closer than 5% is yellow
COLUMNS = ("coin", "side", "size", "entry", "mark", "uPnL $", "stop", "dist", "trail", "dist", "TP", "dist")
COMPACT_COLUMNS = ("coin", "side", "uPnL $", "to stop", "to trail", "to TP")  # fits 80 columns
COMPACT_BELOW_COLUMNS = 110  # narrower tables drop the price columns and keep the distances


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


def compact_row(p: PositionRisk) -> tuple:
    full = row(p)
    return (full[0], full[1], full[5], full[7], full[9], full[11])


class PositionsTable(SyncedTable):
    """Updated in place every poll: the selected row, the scroll and the sort stay put."""

    DEFAULT_CSS = "PositionsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.zebra_stripes = True
        self.compact = False
        self.last: RiskSnapshot | None = None
        self.set_columns(COLUMNS)

    def on_resize(self) -> None:
        compact = self.size.width < COMPACT_BELOW_COLUMNS
        if compact != self.compact:
            self.compact = compact
            self.set_columns(COMPACT_COLUMNS if compact else COLUMNS)
            if self.last is not None:
                self.show(self.last)

    def show(self, snap: RiskSnapshot) -> None:
        self.last = snap
        make = compact_row if self.compact else row
        width = len(COMPACT_COLUMNS if self.compact else COLUMNS)
        self.sync(((p.coin, make(p)) for p in snap.positions),
                  empty=(Text("no open positions", style="dim"), *[""] * (width - 1)))


def protective_stops_text(snap: RiskSnapshot) -> Text:
    """The reduce-only stop orders resting on the exchange (they protect even if the console dies)."""
    if not snap.protective_stops:
        return Text("exchange-side stops: none (placed automatically in TIGHTENED)", style="dim")
    text = Text("exchange-side stops: ", style="bold")
    for i, stop in enumerate(snap.protective_stops):
        if i:
            text.append("  ")
        px = stop.get("trigger_px") or stop.get("px")
        text.append(f"{stop.get('coin')} {stop.get('side', '')} {stop.get('size', '')} @ {price(px)}")
    return text
