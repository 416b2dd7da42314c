"""The live session behind the console: the exchange (the in-process paper exchange by default)
and the monitor service polling it with the active genome; plus the operator's requests (reset
the breaker, propose an exit again) that the CLI writes the same way.

On paper, the console signs with a throw-away API wallet approved for the demo account
(console.services.opening.paper_demo_gateway). The monitor itself starts as the headless one does
(console.services.monitor_runner): it acts when it can take the account's lease, else it watches.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from typing import Callable

from console.services.monitor_runner import MonitorRun, lease_mode, open_monitor
from console.services.opening import paper_demo_gateway, watch_gateway
from console.services.promotions import record_protection, wall_ms
from core.alerts.dispatcher import AlertDispatcher
from core.alerts.model import Alert
from core.errors import BadInputError
from core.exchange.paper.exchange import PaperExchange, PaperSettings
from core.exchange.paper.scenario import available_scenarios
from core.monitor.monitor_lease import MonitorLeaseHolder
from core.monitor.operator_requests import RESET_REQUEST_KEY
from core.monitor.service import MonitorService
from core.monitor.snapshot import RiskSnapshot
from core.monitor.standing import PROTECTION_KEY
from core.monitor.supersede import EXIT_REQUEST_KEY, EXIT_REQUEST_OUTCOME_KEY
from storage import Store
from storage.monitor_repo import MonitorRepo

log = logging.getLogger("evorisk.console.live")

PAPER_POLL_INTERVAL_S = 2.0  # the demo market moves a simulated minute per second: poll often
LIVE_POLL_INTERVAL_S = 30.0  # SPEC section 5's default for real venues
ADDRESS_ENV = "EVORISK_ADDRESS"  # the account to watch on testnet / mainnet


def request_breaker_reset(repo: MonitorRepo, operator: str) -> None:
    """The monitor sets the high-water mark to the current equity at its next cycle."""
    repo.set_value(RESET_REQUEST_KEY, {"by": operator, "requested_ms": wall_ms()}, wall_ms())


def request_exit(repo: MonitorRepo, operator: str, coin: str | None = None) -> None:
    """The monitor proposes the exit (of `coin`, else of every position) at its next good poll."""
    repo.set_value(EXIT_REQUEST_KEY, {"by": operator, "coin": coin, "requested_ms": wall_ms()}, wall_ms())


@dataclass
class LiveSession:
    monitor: MonitorRun
    paper: PaperExchange | None  # when on paper

    @property
    def service(self) -> MonitorService:
        return self.monitor.service

    @property
    def repo(self) -> MonitorRepo:
        return self.monitor.repo

    @property
    def lease(self) -> MonitorLeaseHolder | None:
        """None: read-only (another monitor acts for the account)."""
        return self.monitor.lease

    @property
    def alerts(self) -> AlertDispatcher:
        return self.monitor.alerts

    @property
    def can_switch_scenario(self) -> bool:
        return self.paper is not None

    @classmethod
    def start(cls, network: str, store: Store, scenario: str = "demo",
              on_snapshot: Callable[[RiskSnapshot], None] | None = None, poll_interval_s: float | None = None,
              seed: int = 7, paper_speed: float | None = None, protect: str | None = None,
              on_alert: Callable[[Alert], None] | None = None, read_only: bool = False,
              polling: bool = True) -> "LiveSession":
        """`protect`: "off" = no standing exits whatever is recorded (--protect off), "on" = switch
        them on (recorded); None follows the record, and the paper demo starts protected. `on_alert`
        is the console's alert callback (toast + bell); it must only post a message. `read_only`: no
        signing key at all, so nothing can be sent, not even the policy's stops. `polling=False`:
        the caller runs the cycles itself (the headless summary's one cycle)."""
        paper = None
        if network == "paper":
            settings = PaperSettings(scenario=scenario, seed=seed)
            if paper_speed is not None:
                settings = replace(settings, speed=paper_speed)
            paper = PaperExchange(settings).start()
            gateway = paper_demo_gateway(paper, signing=not read_only)
            address, interval = paper.demo_address, poll_interval_s or PAPER_POLL_INTERVAL_S
        else:
            address = os.environ.get(ADDRESS_ENV, "")
            if not address:
                raise BadInputError(f"set {ADDRESS_ENV} to the account address to watch on {network}")
            gateway = watch_gateway(network, address, read_only)
            interval = poll_interval_s or LIVE_POLL_INTERVAL_S
        repo = MonitorRepo(store)
        if protect == "on" or (protect is None and paper is not None and repo.get_value(PROTECTION_KEY) is None):
            record_protection(repo, True, "console" if protect == "on" else "paper demo",
                              "--protect on" if protect == "on" else "the paper demo starts protected")
        try:
            mode = lease_mode(read_only, console=True, own_paper=paper is not None)
            monitor = open_monitor(gateway, repo, address, interval, mode, protect_off=protect == "off",
                                   on_snapshot=on_snapshot, on_alert=on_alert)
        except BaseException:
            if paper is not None:
                paper.stop()
            raise
        if polling:
            monitor.service.start()
        log.info("live session on %s watching %s every %.1f s", network.upper(), address, interval)
        return cls(monitor, paper)

    def scenario_names(self) -> list[str]:
        """The shipped paper scenarios (none off paper): a new scenario file needs no console change."""
        return available_scenarios() if self.paper is not None else []

    def switch_scenario(self, name: str) -> None:
        if self.paper is not None:
            self.paper.switch_scenario(name)
            log.info("operator switched the paper scenario to %s", name)

    def approve(self, action_id: int, operator: str) -> None:
        """Commit the approval row, then let the service send (it re-checks the row itself)."""
        self.repo.approve_action(action_id, operator, wall_ms())
        self.service.run_cycle()

    def reject(self, action_id: int, operator: str) -> None:
        self.repo.reject_action(action_id, operator, wall_ms())
        self.service.run_cycle()

    def set_protection(self, on: bool, operator: str) -> None:
        """The console toggle: recorded, then one cycle so the orders rest (or go) at once."""
        record_protection(self.repo, on, operator, "console toggle")
        self.service.run_cycle()

    def propose_exit(self, operator: str, coin: str | None = None) -> str:
        """Ask the monitor for the exit again (after a reject or expiry); returns core's answer."""
        request_exit(self.repo, operator, coin)
        self.service.run_cycle()
        if self.repo.get_value(EXIT_REQUEST_KEY):
            return "requested: the monitor proposes it once the data is fresh"
        outcome = self.repo.get_value(EXIT_REQUEST_OUTCOME_KEY) or {}
        return str(outcome.get("message", "requested"))

    def reset_breaker(self, operator: str) -> None:
        request_breaker_reset(self.repo, operator)
        self.service.run_cycle()

    def stop(self) -> None:
        self.monitor.stop()
        if self.paper is not None:
            self.paper.stop()


def paper_demo_cycle(store: Store) -> RiskSnapshot:
    """One monitor cycle on a fresh paper demo, for the console without a terminal (CI, pipes)."""
    session = LiveSession.start("paper", store, polling=False)
    try:
        return session.service.run_cycle()
    finally:
        session.stop()
