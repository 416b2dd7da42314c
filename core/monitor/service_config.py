"""What a MonitorService is built from: its settings, the storage Protocol it writes through, the
timer it reschedules itself with, and the lease it acts under.

Why a module of its own: these are the service's seams (tests inject a timer, a lambda genome and
a repository; storage/monitor_repo.py implements MonitorRepository), read without the cycle's logic.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from core.genome import RiskParams
from core.monitor import records as r
from core.operator_settings import PerpRiskSettings
from core.vocabulary import ActionStatus

DEFAULT_POLL_INTERVAL_S = 30.0
ACTION_TTL_MS = 10 * 60_000  # a proposal is priced at its creation; after 10 min it must be re-proposed
VISIBLE_STATUSES = (ActionStatus.PENDING, ActionStatus.APPROVED, ActionStatus.SENDING)


class MonitorRepository(r.ActionLedger, Protocol):
    def get_monitor_state(self) -> str | None: ...

    def save_monitor_state(self, state_json: str, now_ms: int) -> None: ...

    def record_snapshot(self, time_ms: int, breaker_state: str, equity_usd: float | None,
                        drawdown_ratio: float | None, data_error: str | None, snapshot: dict[str, Any]) -> None: ...

    def log_breaker_event(self, time_ms: int, from_state: str, to_state: str, drawdown_ratio: float | None,
                          reason: str, actor: str = "monitor") -> None: ...

    def expire_actions(self, now_ms: int) -> list[int]: ...

    def latest_good_snapshot(self) -> dict[str, Any] | None: ...

    def get_value(self, key: str) -> Any: ...

    def set_value(self, key: str, value: Any, now_ms: int) -> None: ...


# The genome of this cycle as (params, label); core.monitor.genome_source.GenomeSource is the
# production one (a file, else the newest promotion, else the default); tests pass a lambda.
CurrentGenome = Callable[[], tuple[RiskParams, str]]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


TimerStarter = Callable[[float, Callable[[], None]], Cancellable]


def start_thread_timer(delay_s: float, fn: Callable[[], None]) -> threading.Timer:
    """The production timer: a daemon thread, so a forgotten monitor never blocks interpreter exit.
    Tests inject their own starter to see each delay and fire the tick without sleeping."""
    timer = threading.Timer(delay_s, fn)
    timer.daemon = True
    timer.start()
    return timer


@dataclass(frozen=True)
class MonitorSettings:
    address: str
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    action_ttl_ms: int = ACTION_TTL_MS
    can_trade: bool = True  # a signing key is configured; without one nothing is placed automatically
    protect_off: bool = False  # `--protect off`: no standing exits whatever the genome or the record
    confirm_gaps: bool = True  # replay turns the gap confirmation off: history has real daily gaps
    entry_slippage: float = 0.0  # replay: the kernel's slippage, so stops reference the pre-slippage price
    best_from_marks: bool = True  # replay: False, the trail follows completed bars only (the kernel's best)
    fee_per_side: float | None = None  # break-even fee; None: Hyperliquid's base taker fee
    read_only: bool = False  # watch only: polls and publishes, never proposes, sends or writes
    perp: PerpRiskSettings = PerpRiskSettings()  # WATCH level, liquidation buffer and alert distance


class Lease(Protocol):
    def held(self) -> bool: ...
