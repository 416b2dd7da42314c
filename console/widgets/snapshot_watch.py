"""Widgets that show the monitor's snapshot watch the App's typed `snapshot` reactive: each redraws
itself when a poll lands, and nobody else reaches into it."""
from __future__ import annotations

from typing import Protocol

from textual.widget import Widget

from core.monitor.snapshot import RiskSnapshot


class ShowsSnapshot(Protocol):
    def show(self, snap: RiskSnapshot) -> None: ...


def follow_snapshot(widget: Widget) -> None:
    """Call `widget.show(snap)` for every new snapshot (from the widget's on_mount)."""

    def changed(snap: RiskSnapshot | None) -> None:
        if snap is not None:
            widget.show(snap)  # type: ignore[attr-defined]  # ShowsSnapshot

    widget.watch(widget.app, "snapshot", changed, init=False)
