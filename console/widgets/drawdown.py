"""Drawdown gauge against the breaker's thresholds (core.policy: TIGHTENED, REDUCING and EMERGENCY
start at 0.5, 0.7 and 1.0 of the genome's max_drawdown_pct) and its history."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from console.widgets.snapshot_watch import follow_snapshot
from core import policy
from core.monitor.snapshot import RiskSnapshot
from core.vocabulary import BreakerState

GAUGE_MAX_RATIO = 1.2  # the gauge shows a little beyond the emergency line
# (drawdown ratio where the state starts, its initial): T 0.5, R 0.7, E 1.0 with today's policy
THRESHOLDS = tuple((at, state.name[0]) for at, state in zip(
    policy.BREAKER_THRESHOLDS, (BreakerState.TIGHTENED, BreakerState.REDUCING, BreakerState.EMERGENCY)))
LINE_LABELS = {at: f"{initial} {at:.1f}" for at, initial in THRESHOLDS}  # each history line says which it is
THRESHOLDS_TEXT = " | ".join(LINE_LABELS.values())
LABEL_CELLS = 6  # room kept right of the chart for those labels


def ratio_colour(ratio: float) -> str:
    """The colour of the breaker state a drawdown ratio falls in."""
    if ratio < policy.TIGHTEN_AT:
        return "green"
    if ratio < policy.REDUCE_AT:
        return "yellow"
    return "dark_orange" if ratio < policy.EMERGENCY_AT else "red"


def line_style(at: float) -> str:
    return "dim red" if at == policy.EMERGENCY_AT else "dim yellow"


def gauge(ratio: float | None, width: int) -> Text:
    """A bar of `width` cells with the three breaker lines marked."""
    width = max(width, 10)
    text = Text()
    filled = 0 if ratio is None else int(min(max(ratio, 0.0), GAUGE_MAX_RATIO) / GAUGE_MAX_RATIO * width)
    marks = {int(t / GAUGE_MAX_RATIO * width): label for t, label in THRESHOLDS}
    for i in range(width):
        frac = i / width * GAUGE_MAX_RATIO
        colour = ratio_colour(frac)
        if i in marks:
            text.append(marks[i], style=f"bold reverse {colour}")
        elif i < filled:
            text.append("█", style=colour)
        else:
            text.append("·", style="dim")
    return text


def history_chart(history: list[float], width: int, height: int) -> Text:
    """Column chart of drawdown ratios on a fixed 0..1.2 scale, with the T/R/E lines drawn across,
    so the same height always means the same risk (an auto-scaled sparkline would not)."""
    width, height = max(width, 10), max(height, 2)
    values = history[-width:]
    levels = {t: round(t / GAUGE_MAX_RATIO * height) for t, _ in THRESHOLDS}
    text = Text()
    for row in range(height, 0, -1):
        line_at = next((t for t, h in levels.items() if h == row), None)
        for v in values:
            filled = min(max(v, 0.0), GAUGE_MAX_RATIO) / GAUGE_MAX_RATIO * height >= row - 0.5
            colour = ratio_colour(v)
            if filled:
                text.append("█", style=colour)
            elif line_at is not None:
                text.append("─", style=line_style(line_at))
            else:
                text.append(" ")
        pad = width - len(values)
        if line_at is not None and pad > 0:
            text.append("─" * pad, style=line_style(line_at))
        label = LINE_LABELS.get(line_at, "") if line_at is not None else ""
        text.append(f" {label}" if label else "", style=line_style(line_at) if line_at is not None else "dim yellow")
        text.append("\n")
    return text


class DrawdownPanel(Vertical):
    DEFAULT_CSS = """
    DrawdownPanel { height: 1fr; }
    DrawdownPanel #dd-numbers { height: auto; }
    DrawdownPanel #dd-gauge { height: 1; }
    DrawdownPanel #dd-history { height: 1fr; min-height: 2; }
    """

    def compose(self) -> ComposeResult:
        yield Static("waiting for the first poll", id="dd-numbers")
        yield Static("", id="dd-gauge")
        yield Static("", id="dd-history")

    def on_mount(self) -> None:
        follow_snapshot(self)

    def on_resize(self) -> None:
        """The gauge and chart are drawn to the panel's width: redraw when it changes (a scrollbar
        appearing in the narrow layout takes two cells after the first frame)."""
        if getattr(self, "last", None) is not None:
            self.show(self.last)

    def show(self, snap: RiskSnapshot) -> None:
        self.last = snap
        if snap.equity_usd is None:
            self.query_one("#dd-numbers", Static).update("no equity yet")
            return
        dd = snap.drawdown or 0.0
        ratio = snap.drawdown_ratio or 0.0
        self.query_one("#dd-numbers", Static).update(
            f"equity ${snap.equity_usd:,.2f}  peak ${snap.hwm_usd:,.2f}\n"
            f"drawdown {dd:.2%} = {ratio:.2f} x max {snap.max_drawdown_pct:.1%}  ({THRESHOLDS_TEXT})")
        width = max(self.size.width - 2, 20)
        self.query_one("#dd-gauge", Static).update(gauge(ratio, width))
        history = list(snap.drawdown_history) or [ratio]
        chart = self.query_one("#dd-history", Static)
        chart.update(history_chart(history, width - LABEL_CELLS, max(chart.size.height, 3)))
