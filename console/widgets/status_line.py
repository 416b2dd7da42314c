"""The status line on every screen: breaker state and since, drawdown ratio, pending count, data
age, WATCH/STALE, and a poll warning. It flashes on every alarm (the app rings the bell too).

Alarm events are found here, from two consecutive snapshots (a breaker transition, a new action
waiting for approval); the perp-risk alerts post the same `AlarmRaised` message when they land.
"""
from __future__ import annotations

from datetime import datetime, timezone

from rich.text import Text
from textual.widgets import Static

from console.widgets.snapshot_watch import follow_snapshot
from core.monitor.snapshot import RiskSnapshot
from core.policy import WATCH_FRACTION
from core.vocabulary import OPERATOR_APPROVED_KINDS, ActionStatus, BreakerState

FLASH_S = 0.4  # one flash phase; an alarm flashes three times
FLASH_PHASES = 6
NORMAL, STALE = BreakerState.NORMAL.name, BreakerState.STALE.name
SEVERE_STATES = (BreakerState.REDUCING.name, BreakerState.EMERGENCY.name, STALE)
STATE_STYLE = {NORMAL: "bold green", BreakerState.TIGHTENED.name: "bold yellow",
               BreakerState.REDUCING.name: "bold dark_orange", BreakerState.EMERGENCY.name: "bold white on red",
               STALE: "bold magenta"}


def hhmmss(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%H:%M:%S")


def alarm_events(before: RiskSnapshot | None, after: RiskSnapshot) -> list[tuple[str, str]]:
    """(text, severity) for each alarm between two snapshots: breaker transitions and new actions
    that wait for an operator. The first snapshot raises only what already waits."""
    events: list[tuple[str, str]] = []
    if before is not None and before.breaker_state != after.breaker_state:
        severe = after.breaker_state in SEVERE_STATES
        events.append((f"breaker {before.breaker_state} -> {after.breaker_state}: {after.breaker_reason}",
                       "error" if severe else "warning"))
    known = set() if before is None else {a.id for a in before.pending_actions}
    for a in after.pending_actions:
        if a.id not in known and a.status == ActionStatus.PENDING and a.kind in OPERATOR_APPROVED_KINDS:
            events.append((f"action {a.id} waits for approval: {a.reason}", "error"))
    return events


def status_text(snap: RiskSnapshot | None, pending: int, width: int) -> Text:
    """The line, most important first so a narrow terminal cuts only the tail."""
    if snap is None:
        return Text("waiting for the first poll", style="dim")
    text = Text()
    text.append(f" {snap.breaker_state} ", style=STATE_STYLE.get(snap.breaker_state, "bold"))
    text.append(f" since {'start' if snap.breaker_since_ms <= 0 else hhmmss(snap.breaker_since_ms)}")
    ratio = "n/a" if snap.drawdown_ratio is None else f"{snap.drawdown_ratio:.2f}"
    text.append(f" | ratio {ratio}")
    text.append(" | ")
    text.append(f"pending {pending}", style="bold red" if pending else "")
    age = snap.data_age_s
    text.append(f" | data {'-' if age is None else f'{age:.0f}s'}")
    if snap.breaker_state == STALE:
        text.append(" | ")
        text.append(STALE, style="bold magenta")
    elif snap.breaker_state == NORMAL and snap.drawdown_ratio is not None and snap.drawdown_ratio >= WATCH_FRACTION:
        text.append(" | ")
        text.append("WATCH", style="bold yellow")
    if snap.poll_warning:
        text.append(" | ")
        text.append(f"poll failed: {snap.poll_warning}", style="yellow")
    return text


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; }
    StatusLine.-flash { background: $error; color: $text; text-style: bold; }
    StatusLine.-alarm { background: $error 40%; }
    """

    def __init__(self, **kwargs):
        super().__init__("waiting for the first poll", **kwargs)
        self.snapshot: RiskSnapshot | None = None
        self.last_alarm: str | None = None
        self.alarms: list[str] = []  # every alarm of the session, oldest first
        self._phases_left = 0

    def on_mount(self) -> None:
        follow_snapshot(self)

    def show(self, snap: RiskSnapshot) -> None:
        self.snapshot = snap
        self._render_line()

    def _render_line(self) -> None:
        snap = self.snapshot
        pending = 0 if snap is None else sum(1 for a in snap.pending_actions if a.status == ActionStatus.PENDING)
        line = status_text(snap, pending, self.size.width)
        if self.last_alarm and self._phases_left:
            line.append(f" | ALARM: {self.last_alarm}", style="bold")
        self.update(line)
        self.set_class(pending > 0 or (snap is not None and snap.breaker_state in (BreakerState.EMERGENCY.name, STALE)), "-alarm")

    def flash(self, text: str) -> None:
        """Show `text` and flash the line (the bell is rung by the app)."""
        self.last_alarm = text
        self.alarms.append(text)
        self._phases_left = FLASH_PHASES
        self.add_class("-flash")
        self._render_line()
        self.set_timer(FLASH_S, self._flash_step)

    def _flash_step(self) -> None:
        self._phases_left = max(self._phases_left - 1, 0)
        self.set_class(self._phases_left % 2 == 0 and self._phases_left > 0, "-flash")
        if self._phases_left:
            self.set_timer(FLASH_S, self._flash_step)
        else:
            self.remove_class("-flash")
            self._render_line()
