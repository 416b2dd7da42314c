"""The one way a monitor starts, for `evorisk monitor --headless` and the console's live session:
take the account's lease (or watch when another monitor holds it), build the alert dispatcher and
the MonitorService; and what `evorisk approve` does when no monitor is alive to send.

Only one monitor per account and database acts (the lease in SQLite). A headless monitor is
refused when another holds the lease (MonitorRunning: one line, exit 2); the console falls back to
watching. A watcher never proposes or sends, and leaves the URL alert channels to the holder.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from console.services.promotions import record_protection, wall_ms
from core.alerts.detect import failed_legs, failure_alerts
from core.alerts.dispatcher import AlertDispatcher
from core.alerts.factory import build_dispatcher
from core.alerts.model import Alert
from core.exchange.gateway import HyperliquidGateway
from core.monitor.executor import HELD, ExecutionReport, Executor
from core.monitor.genome_source import GenomeSource
from core.monitor.monitor_lease import MonitorLeaseHolder, MonitorRunning, describe, live_monitor
from core.monitor.service import MonitorService, MonitorSettings
from core.monitor.snapshot import RiskSnapshot
from core.operator_settings import load_settings
from core.vocabulary import ActionStatus
from storage.alert_repo import AlertRepo
from storage.monitor_repo import MonitorRepo

__all__ = ["HELD", "Approval", "LeaseMode", "MonitorRun", "approve", "execute_here", "lease_mode", "open_monitor",
           "reject"]
log = logging.getLogger("evorisk.monitor.runner")
ONCE_ALERT_WAIT_S = 10.0  # a one-shot cycle (or `approve`) waits this long for its alerts' deliveries
APPROVE_WAIT_S = 60.0  # `approve --base-url` asks again this long while a POST may still be in flight
APPROVE_RETRY_S = 0.5


class LeaseMode(StrEnum):
    TAKE = "take"  # act for the account, or refuse (MonitorRunning) when another monitor does
    TAKE_OR_WATCH = "take or watch"  # act, or watch when another monitor acts (the console)
    WATCH = "watch"  # never act: poll and show only (--read-only)


@dataclass
class MonitorRun:
    """A monitor for one account: its service, the lease it holds (None: watching) and its alerts."""

    service: MonitorService
    repo: MonitorRepo
    lease: MonitorLeaseHolder | None
    alerts: AlertDispatcher

    def run_once(self) -> RiskSnapshot:
        """One cycle, then its alerts delivered (a one-shot run still says what it raised)."""
        snap = self.service.run_cycle()
        self.alerts.wait_idle(ONCE_ALERT_WAIT_S)
        return snap

    def serve_until_interrupted(self) -> None:
        """Poll on the service's timer until Ctrl-C (or SIGTERM turned into it by the caller)."""
        self.service.start()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            log.info("monitor interrupted")

    def stop(self) -> None:
        """Polling stops, the lease is released, queued alerts are flushed; safe to call twice."""
        self.service.stop()
        if self.lease is not None:
            self.lease.release()
            self.lease = None
        self.alerts.stop()


def lease_mode(read_only: bool, *, console: bool, own_paper: bool = False) -> LeaseMode:
    """How a monitor starting now treats the account's lease. A monitor without a signing key never
    takes it where another monitor could act (testnet, mainnet, a shared paper server): holding it,
    it would refuse the monitor that can place the stops and send the approved exits, and send
    nothing itself. The console's own in-process paper exchange is the one exception: no other
    monitor can reach it, so its read-only demo still proposes (and shows the refusals). The
    console falls back to watching when the lease is held; the headless monitor refuses to start."""
    if read_only and not own_paper:
        return LeaseMode.WATCH
    return LeaseMode.TAKE_OR_WATCH if console else LeaseMode.TAKE


def _lease(repo: MonitorRepo, address: str, mode: LeaseMode) -> MonitorLeaseHolder | None:
    if mode == LeaseMode.WATCH:
        return None
    lease = MonitorLeaseHolder(repo, address, wall_ms)
    try:
        lease.acquire()
    except MonitorRunning as exc:
        if mode == LeaseMode.TAKE:
            raise
        log.warning("read-only: %s", exc)  # another monitor acts for this account: this one only watches
        return None
    lease.start_heartbeat()
    return lease


def open_monitor(gateway: HyperliquidGateway, repo: MonitorRepo, address: str, poll_interval_s: float,
                 lease_mode: LeaseMode, *, genome_file: str | None = None, protect_off: bool = False,
                 protect_on_by: tuple[str, str] | None = None,
                 on_snapshot: Callable[[RiskSnapshot], None] | None = None,
                 on_alert: Callable[[Alert], None] | None = None) -> MonitorRun:
    """The lease first (TAKE: MonitorRunning before anything is written), then `protect_on_by`
    (operator, why) recorded when this monitor acts, then the dispatcher and the service (not
    started: `run_once`, `serve_until_interrupted` or `service.start()`)."""
    lease = _lease(repo, address, lease_mode)
    try:
        if protect_on_by is not None and lease is not None:
            record_protection(repo, True, *protect_on_by)
        operator = load_settings()
        alerts = build_dispatcher(operator.alerts, AlertRepo(repo.store), wall_ms, on_alert, watcher=lease is None)
    except BaseException:
        if lease is not None:
            lease.release()
        raise
    settings = MonitorSettings(address, poll_interval_s=poll_interval_s, can_trade=gateway.signer_address is not None,
                               read_only=lease is None, perp=operator.risk, protect_off=protect_off)
    service = MonitorService(gateway, repo, settings, GenomeSource(repo, genome_file), wall_ms, on_snapshot,
                             lease=lease, alerts=alerts)
    return MonitorRun(service, repo, lease, alerts)


@dataclass(frozen=True)
class Approval:
    """What `approve` did: the committed row, and the live monitor it was handed to (if any)."""

    action_id: int
    handed_to: str | None  # the live monitor, described (pid, host, heartbeat), or None


def approve(repo: MonitorRepo, action_id: int, operator: str, address: str | None) -> Approval:
    """Commit the approval row first (StoreBusyError: nothing approved, nothing sent), then find
    the monitor alive for `address` that will claim it at its next cycle."""
    action = repo.approve_action(action_id, operator, wall_ms())
    monitor = live_monitor(repo, address, wall_ms()) if address else None
    return Approval(action.id, None if monitor is None else describe(monitor))


def reject(repo: MonitorRepo, action_id: int, operator: str) -> int:
    """Record the rejection; a pending action only (core's decision_refusal says why not)."""
    return repo.reject_action(action_id, operator, wall_ms()).id


def execute_here(gateway: HyperliquidGateway, repo: MonitorRepo, address: str, action_id: int) -> ExecutionReport:
    """No live monitor: claim the action under the same rule as a monitor and send; while an
    outcome is unknown (a POST may still be in flight) wait and ask again. Failed legs raise
    their order-failure alerts as loudly as the monitor's."""
    executor = Executor(gateway, repo, address)
    deadline_s = time.monotonic() + APPROVE_WAIT_S
    while True:
        executor.reconcile_unknown(wall_ms())
        report = executor.execute(action_id, wall_ms())
        if report.status != ActionStatus.SENDING or time.monotonic() > deadline_s:
            break
        time.sleep(APPROVE_RETRY_S)
    _alert_failed_legs(repo, action_id, report)
    return report


def _alert_failed_legs(repo: MonitorRepo, action_id: int, report: ExecutionReport) -> None:
    failures = failed_legs(action_id, report.legs)
    if not failures:
        return
    dispatcher = build_dispatcher(load_settings().alerts, AlertRepo(repo.store), wall_ms)
    for alert in failure_alerts(failures, wall_ms()):
        dispatcher.raise_alert(alert)
    dispatcher.wait_idle(ONCE_ALERT_WAIT_S)
    dispatcher.stop()

