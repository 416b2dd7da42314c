"""Positions with the active genome's stop, trailing and take-profit levels and distance to each,
and the perp risk the venue reports: liquidation price and distance (red when the venue would
liquidate before the stop fires), leverage and its type, funding since open and its rate."""
from __future__ import annotations

from rich.text import Text

from console.widgets.snapshot_watch import follow_snapshot
from console.widgets.table_sync import SyncedTable
from core.monitor.snapshot import PositionRisk, RiskSnapshot

NEAR_FRACTION = 0.02  # a level closer than 2% of the mark is red
WATCH_FRACTION = 0.05  # closer than 5% is yellow
COLUMNS = ("coin", "side", "size", "entry", "mark", "uPnL $", "stop", "dist", "trail", "dist", "TP", "dist",
           "liq", "to liq", "lev", "fund $", "fund/yr")
COMPACT_COLUMNS = ("coin", "side", "uPnL $", "to stop", "to liq", "to trail", "to TP")  # fits 80 columns
CLAMP_MARK = "*"  # after a stop price: clamped inside the liquidation price (explained under the table)
MEDIUM_COLUMNS = ("coin", "side", "uPnL $", "to stop", "to trail", "to TP", "to liq", "lev", "fund $")  # 120 wide
COMPACT_BELOW_COLUMNS = 110  # narrower tables drop the price columns and keep the distances
MEDIUM_FROM_COLUMNS = 72  # from here up to COMPACT_BELOW_COLUMNS: distances plus leverage and funding


def price(px: float | None) -> str:
    if px is None:
        return "-"
    return f"{px:,.2f}" if px >= 100 else f"{px:.4g}"


def distance(d: float | None) -> Text:
    if d is None:
        return Text("-", style="dim")
    style = "bold red" if d < NEAR_FRACTION else "yellow" if d < WATCH_FRACTION else "green"
    return Text(f"{d:.1%}", style=style)


def liquidation_danger(p: PositionRisk) -> bool:
    """The venue would liquidate before the genome's stop fires (or before the stop, when closer)."""
    if p.dist_liquidation is None:
        return False
    return p.liquidation_inside_stop or (p.dist_stop is not None and p.dist_liquidation < p.dist_stop)


def liq_distance(p: PositionRisk) -> Text:
    if p.dist_liquidation is None:
        return Text("-", style="dim")
    return Text(f"{p.dist_liquidation:.1%}", style="bold red" if liquidation_danger(p) else "green")


def stop_distance_cell(p: PositionRisk) -> Text:
    """Distance to the stop that will rest on the exchange: the clamped one when clamped (*)."""
    if p.stop_clamped_px is None:
        return distance(p.dist_stop)
    cell = distance((p.mark_px - p.stop_clamped_px) * (1 if p.side == "long" else -1) / p.mark_px)
    cell.append(CLAMP_MARK, style="bold yellow")
    return cell


def stop_cell(p: PositionRisk) -> Text:
    if p.stop_clamped_px is None:
        return Text(price(p.stop_px))
    return Text(price(p.stop_clamped_px) + CLAMP_MARK, style="bold yellow")


def leverage_cell(p: PositionRisk) -> str:
    if p.leverage is None:
        return "-"
    return f"{p.leverage:g}x {p.leverage_type[:1] or '?'}"  # c = cross, i = isolated


def funding_cell(usd: float | None) -> Text:
    if usd is None:
        return Text("-", style="dim")
    return Text(f"{usd:+,.2f}", style="green" if usd >= 0 else "red")


def funding_rate_cell(p: PositionRisk) -> Text:
    """The annualised rate from this position's point of view: + is received."""
    if p.funding_rate_annual is None:
        return Text("-", style="dim")
    received = -p.funding_rate_annual if p.side == "long" else p.funding_rate_annual  # longs pay a positive rate
    return Text(f"{received:+.1%}", style="green" if received >= 0 else "red")


def row(p: PositionRisk) -> tuple:
    side = Text(p.side.upper(), style="green" if p.side == "long" else "magenta")
    pnl = Text(f"{p.unrealized_pnl_usd:+,.2f}", style="green" if p.unrealized_pnl_usd >= 0 else "red")
    return (Text(p.coin, style="bold"), side, f"{abs(p.size):g}", price(p.entry_px), price(p.mark_px), pnl,
            stop_cell(p), stop_distance_cell(p), price(p.trail_px), distance(p.dist_trail),
            price(p.take_profit_px), distance(p.dist_take_profit), price(p.liquidation_px), liq_distance(p),
            leverage_cell(p), funding_cell(p.funding_since_open_usd), funding_rate_cell(p))


def compact_row(p: PositionRisk) -> tuple:
    full = row(p)
    return (full[0], full[1], full[5], full[7], full[13], full[9], full[11])


def medium_row(p: PositionRisk) -> tuple:
    full = row(p)
    return (full[0], full[1], full[5], full[7], full[9], full[11], full[13], full[14], full[15])


LAYOUTS = {"full": (COLUMNS, row), "medium": (MEDIUM_COLUMNS, medium_row), "compact": (COMPACT_COLUMNS, compact_row)}


def layout_for(width: int) -> str:
    if width >= COMPACT_BELOW_COLUMNS:
        return "full"
    return "medium" if width >= MEDIUM_FROM_COLUMNS else "compact"


class PositionsTable(SyncedTable):
    """Updated in place every poll: the selected row, the scroll and the sort stay put."""

    DEFAULT_CSS = "PositionsTable { height: 1fr; }"

    def on_mount(self) -> None:
        self.zebra_stripes = True
        self.layout_name = "full"
        self.last: RiskSnapshot | None = None
        self.set_columns(COLUMNS)
        follow_snapshot(self)

    @property
    def compact(self) -> bool:
        """Narrower than the full table (the account line then shortens too)."""
        return self.layout_name != "full"

    def on_resize(self) -> None:
        name = layout_for(self.size.width)
        if name != self.layout_name:
            self.layout_name = name
            self.set_columns(LAYOUTS[name][0])
            if self.last is not None:
                self.show(self.last)

    def show(self, snap: RiskSnapshot) -> None:
        self.last = snap
        columns, make = LAYOUTS[self.layout_name]
        self.sync(((p.coin, make(p)) for p in snap.positions),
                  empty=(Text("no open positions", style="dim"), *[""] * (len(columns) - 1)))


def protective_stops_text(snap: RiskSnapshot) -> Text:
    """The reduce-only exit orders resting on the exchange (they protect even if the console dies),
    each named by what it is: the stop-market (`stop`) or a take-profit level (`tp1`, `tp2`, ...),
    so a take-profit trigger is never read as a stop."""
    if not snap.protective_stops:
        why = "protection is off" if snap.protected is False else "none resting"
        return Text(f"exchange-side exits: {why}", style="dim")
    text = Text("exchange-side exits: ", style="bold")
    for i, order in enumerate(snap.protective_stops):
        if i:
            text.append("  ")
        px = order.get("trigger_px") or order.get("px")
        kind = order.get("kind", "stop")
        text.append(f"{order.get('coin')} {kind} ", style="bold" if kind == "stop" else "")
        text.append(f"{order.get('side', '')} {order.get('size', '')} @ {price(px)}")
    return text


def account_text(snap: RiskSnapshot, compact: bool = False) -> Text:
    """Margin use, leverage, maintenance margin and withdrawable on one line (shorter when the
    table is compact, so the position rows keep their room at 80 columns); clamped stops named."""
    if snap.margin_used_usd is None or snap.equity_usd is None:
        return Text("account: margin not known yet", style="dim")
    ratio = snap.margin_ratio or 0.0
    text = Text("" if compact else "account: ", style="bold")
    text.append(f"margin {ratio:.1%}" if compact else f"margin ${snap.margin_used_usd:,.0f} = {ratio:.1%} of equity",
                style="bold red" if ratio >= MARGIN_RED_RATIO else "")
    parts = []
    if snap.account_leverage is not None:
        parts.append(f"lev {snap.account_leverage:.2f}x" if compact else f"leverage {snap.account_leverage:.2f}x")
    if snap.maintenance_margin_usd is not None and not compact:
        parts.append(f"maintenance ${snap.maintenance_margin_usd:,.0f}")
    if snap.withdrawable_usd is not None and not compact:
        parts.append(f"withdrawable ${snap.withdrawable_usd:,.0f}")
    for part in parts:
        text.append(f" | {part}")
    clamped = [p.coin for p in snap.positions if p.stop_clamped_px is not None]
    if clamped:
        text.append(f" | {CLAMP_MARK}clamped {','.join(clamped)}" if compact
                    else f" | {CLAMP_MARK} stop clamped inside liquidation: {', '.join(clamped)}", style="bold yellow")
    return text


MARGIN_RED_RATIO = 0.8  # margin used above 80 % of equity: little room before the venue liquidates
