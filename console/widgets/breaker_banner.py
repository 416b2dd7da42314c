"""The breaker banner: state, since when and why, in a colour no operator can miss."""
from __future__ import annotations

from datetime import datetime, timezone

from textual.reactive import reactive
from textual.widgets import Static

from console.widgets.snapshot_watch import follow_snapshot
from core import policy
from core.monitor.records import OPEN_FOR_EXECUTION
from core.monitor.snapshot import RiskSnapshot
from core.vocabulary import ActionKind, ActionStatus, BreakerState

STATE_CLASSES = {s.name: f"-{s.name.lower()}" for s in BreakerState}
STOPS = f"x{policy.TIGHTENED_STOP_FACTOR:g}"  # what TIGHTENED does to the stop distances
REDUCE = ("halve every position" if policy.REDUCE_FRACTION == 0.5
          else f"cut every position by {policy.REDUCE_FRACTION:.0%}")
WHAT_IT_DOES = {
    BreakerState.NORMAL.name: "rules as evolved",
    BreakerState.TIGHTENED.name: f"stops {STOPS}, protective stop orders on the exchange",
    BreakerState.REDUCING.name: f"{REDUCE} - needs your approval; stops stay {STOPS}",
    BreakerState.EMERGENCY.name: f"close everything - needs your approval; stops stay {STOPS}",
    BreakerState.STALE.name: "no trustworthy data: nothing is proposed",
}


# What the breaker's own action is waiting for, by the state's action kind (SPEC 5).
BREAKER_ACTION = {BreakerState.REDUCING.name: ActionKind.REDUCE, BreakerState.EMERGENCY.name: ActionKind.EXIT_ALL}


def breaker_duty(snap: RiskSnapshot) -> str:
    """What the state does, and whether the operator still has to act: "needs your approval" only
    while the breaker's action waits; once it is sent or done the banner says so instead."""
    does = WHAT_IT_DOES.get(snap.breaker_state, "")
    kind = BREAKER_ACTION.get(snap.breaker_state)
    if kind is None:
        return does
    mine = [a for a in snap.pending_actions if a.kind == kind]
    if any(a.status == ActionStatus.PENDING for a in mine):
        return does
    rest = f"stops stay {STOPS}"
    if any(a.status in OPEN_FOR_EXECUTION for a in mine):
        return f"{'closing everything' if kind == ActionKind.EXIT_ALL else REDUCE}: approved, sending; {rest}"
    if kind == ActionKind.EXIT_ALL and not snap.positions:
        return "everything closed; new risk stays blocked until a breaker reset (R)"
    if kind == ActionKind.EXIT_ALL:
        return f"close everything - no exit waits for approval (p proposes it again); {rest}"
    return f"{REDUCE}: no halving waits for approval (done, rejected or expired this episode); {rest}"


def hhmmss(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%H:%M:%S")


class BreakerBanner(Static):
    # `color: auto` picks black or white for the tinted background: >= 4.5:1 in both themes (WCAG AA).
    DEFAULT_CSS = """
    BreakerBanner { height: auto; max-height: 6; border: heavy $success; content-align: center middle;
                    text-align: center; text-style: bold; padding: 0 1; }
    BreakerBanner.-normal { border: heavy $success; background: $success 15%; color: auto; }
    BreakerBanner.-tightened { border: heavy $warning; background: $warning 25%; color: auto; }
    BreakerBanner.-reducing { border: heavy darkorange; background: darkorange 35%; color: auto; }
    BreakerBanner.-emergency { border: heavy red; background: #a80000; color: white; }
    BreakerBanner.-stale { border: heavy $secondary; background: $secondary 30%; color: auto; }
    BreakerBanner.-normal.-watch { border: heavy $warning; background: $warning 25%; color: auto; }
    """

    state: reactive[str] = reactive(BreakerState.NORMAL.name)
    # WATCH tier: a colour and an alert, never an action (not `watch`: that is Widget.watch)
    watch_tier: reactive[bool] = reactive(False)

    def __init__(self, **kwargs):
        super().__init__("BREAKER: waiting for the first poll", **kwargs)

    def on_mount(self) -> None:
        follow_snapshot(self)

    def watch_state(self, old: str, new: str) -> None:
        self.remove_class(STATE_CLASSES.get(old, ""))
        self.add_class(STATE_CLASSES.get(new, "-stale"))

    def watch_watch_tier(self, watching: bool) -> None:
        self.set_class(watching, "-watch")

    def show(self, snap: RiskSnapshot) -> None:
        self.state = snap.breaker_state
        self.watch_tier = snap.watch and snap.breaker_state == BreakerState.NORMAL.name
        ratio = "n/a" if snap.drawdown_ratio is None else f"{snap.drawdown_ratio:.2f}"
        dd = "n/a" if snap.drawdown is None else f"{snap.drawdown:.2%}"
        since = "start" if snap.breaker_since_ms <= 0 else f"{hhmmss(snap.breaker_since_ms)} UTC"
        watch = " WATCH" if self.watch_tier else ""
        does = (f"WATCH from {snap.watch_fraction:.2f} of max: an alert, no action" if self.watch_tier
                else breaker_duty(snap))
        # The essentials first (state, since, ratio, new risk) so a narrow terminal wraps only the rest.
        self.update(f"BREAKER {snap.breaker_state}{watch} since {since} | ratio {ratio} | "
                    f"new risk {'allowed' if snap.new_risk_allowed else 'BLOCKED'} | "
                    f"drawdown {dd} of max {snap.max_drawdown_pct:.1%} | "
                    f"{does}"
                    + ("" if snap.breaker_reason.startswith(("drawdown", "start")) else f" | {snap.breaker_reason}")
                    + gap_text(snap) + protection_text(snap))


def protection_text(snap: RiskSnapshot) -> str:
    """Said plainly when positions have no standing exits on the exchange."""
    if snap.protected is False and snap.positions:
        return " | POSITIONS UNPROTECTED: no standing exit orders (" + snap.protection.split(":")[0] + ")"
    return ""


def gap_text(snap: RiskSnapshot) -> str:
    """The unconfirmed price gaps, so an operator sees why a large drawdown proposes nothing yet."""
    if not snap.price_gap:
        return ""
    gaps = ", ".join(f"{g['coin']} {g['pct']:+.1%}" for g in snap.price_gap)
    return f" | price gap {gaps}: waiting for the next poll to confirm"
