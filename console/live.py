"""The live session behind the console: the exchange (the in-process paper exchange by default)
and the monitor service polling it with the active genome.

On paper, the console signs with a throw-away API wallet that the paper exchange approves for the
demo account, exactly as an operator approves an agent on Hyperliquid: the real SDK signs every
order, and no secret is ever stored.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from storage import Store

log = logging.getLogger("evorisk.console.live")

PAPER_POLL_INTERVAL_S = 2.0  # the demo market moves a simulated minute per second: poll often
LIVE_POLL_INTERVAL_S = 30.0  # SPEC section 5's default for real venues
ADDRESS_ENV = "EVORISK_ADDRESS"  # the account to watch on testnet / mainnet


def wall_ms() -> int:
    return int(time.time() * 1000)


def active_genome(store: Store) -> tuple[list[float], str]:
    """Genes and label of the genome the monitor runs now (newest promotion, else the default)."""
    from core.genome import default_genes
    from core.monitor.genome_source import promotion_label
    from storage.monitor_repo import MonitorRepo

    row = MonitorRepo(store).active_promotion()
    if row is None:
        return [float(g) for g in default_genes()], "default"
    return list(row["genes"]), promotion_label(row)


def promote_genes(store: Store, genes: list[float], run_id: int | None, operator: str,
                  metrics: dict[str, Any]) -> int:
    """Write the promotion record; the monitor picks the genome up at its next cycle."""
    from storage.monitor_repo import MonitorRepo

    label = f"run {run_id} best" if run_id is not None else "manual"
    repo = MonitorRepo(store)
    pid = repo.promote(genes, label, operator, wall_ms(), run_id=run_id, oos_metrics=metrics)
    record_protection(repo, True, operator, f"promotion #{pid} approved its standing exits")
    return pid


def record_protection(repo: Any, on: bool, operator: str, why: str) -> None:
    """The operator's switch of standing exits (a promotion is an approval too), as a recorded row."""
    from core.monitor.standing import PROTECTION_KEY, protection_record

    repo.set_value(PROTECTION_KEY, protection_record(on, operator, wall_ms(), why), wall_ms())
    log.warning("standing exits switched %s by %s: %s", "on" if on else "OFF", operator, why)


@dataclass
class LiveSession:
    service: Any  # core.monitor.service.MonitorService
    repo: Any  # storage.monitor_repo.MonitorRepo
    paper: Any | None  # core.exchange.paper.PaperExchange when on paper
    lease: Any | None = None  # core.monitor.monitor_lease.MonitorLeaseHolder; None: read-only
    alerts: Any | None = None  # core.alerts.dispatcher.AlertDispatcher

    @property
    def can_switch_scenario(self) -> bool:
        return self.paper is not None

    @classmethod
    def start(cls, network: str, store: Store, scenario: str = "demo",
              on_snapshot: Callable[[Any], None] | None = None, poll_interval_s: float | None = None,
              seed: int = 7, paper_speed: float | None = None, protect: str | None = None,
              on_alert: Callable[[Any], None] | None = None, read_only: bool = False) -> "LiveSession":
        """`protect`: "off" = no standing exits whatever is recorded (--protect off), "on" = switch
        them on (recorded); None follows the record, and the paper demo starts protected. `on_alert`
        is the console's alert callback (toast + bell); it must only post a message. `read_only`: no
        signing key at all, so nothing can be sent, not even the policy's stops."""
        from core.alerts.factory import build_dispatcher
        from core.exchange.gateway import HyperliquidGateway
        from core.monitor.genome_source import GenomeSource
        from core.operator_settings import load_settings
        from storage.alert_repo import AlertRepo
        from core.monitor.service import MonitorService, MonitorSettings
        from storage.monitor_repo import MonitorRepo

        paper = None
        if network == "paper":
            import eth_account

            from core.exchange.paper.exchange import PaperExchange, PaperSettings

            settings = PaperSettings(scenario=scenario, seed=seed)
            if paper_speed is not None:
                settings = replace(settings, speed=paper_speed)
            paper = PaperExchange(settings).start()
            address = paper.demo_address
            key = None
            if not read_only:
                agent = eth_account.Account.create()
                paper.approve_agent(paper.demo_address, agent.address)
                key = agent.key.hex()
            gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=key, account_address=address)
            interval = poll_interval_s or PAPER_POLL_INTERVAL_S
        else:
            address = os.environ.get(ADDRESS_ENV, "")
            if not address:
                from core.errors import BadInputError

                raise BadInputError(f"set {ADDRESS_ENV} to the account address to watch on {network}")
            make = HyperliquidGateway if read_only else HyperliquidGateway.from_env
            gateway = make(network, account_address=address, allow_mainnet=network == "mainnet")
            interval = poll_interval_s or LIVE_POLL_INTERVAL_S
        from core.monitor.monitor_lease import MonitorLeaseHolder, MonitorRunning

        operator = load_settings()
        repo = MonitorRepo(store)
        from core.monitor.standing import PROTECTION_KEY

        if protect == "on" or (protect is None and paper is not None and repo.get_value(PROTECTION_KEY) is None):
            record_protection(repo, True, "console" if protect == "on" else "paper demo",
                              "--protect on" if protect == "on" else "the paper demo starts protected")
        lease: MonitorLeaseHolder | None = MonitorLeaseHolder(repo, address, wall_ms)
        try:
            lease.acquire()
            lease.start_heartbeat()
        except MonitorRunning as exc:  # another monitor acts for this account: the console only watches
            log.warning("read-only: %s", exc)
            lease = None
        alerts = build_dispatcher(operator.alerts, AlertRepo(store), wall_ms, on_alert)
        settings = MonitorSettings(address, poll_interval_s=interval, can_trade=gateway.signer_address is not None,
                                   read_only=lease is None, perp=operator.risk, protect_off=protect == "off")
        service = MonitorService(gateway, repo, settings, GenomeSource(repo), wall_ms, on_snapshot, lease=lease,
                                 alerts=alerts)
        service.start()
        log.info("live session on %s watching %s every %.1f s", network.upper(), address, interval)
        return cls(service, repo, paper, lease, alerts)

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
        from core.monitor.supersede import EXIT_REQUEST_KEY, EXIT_REQUEST_OUTCOME_KEY

        self.repo.set_value(EXIT_REQUEST_KEY, {"by": operator, "coin": coin, "requested_ms": wall_ms()}, wall_ms())
        self.service.run_cycle()
        if self.repo.get_value(EXIT_REQUEST_KEY):
            return "requested: the monitor proposes it once the data is fresh"
        outcome = self.repo.get_value(EXIT_REQUEST_OUTCOME_KEY) or {}
        return str(outcome.get("message", "requested"))

    def reset_breaker(self, operator: str) -> None:
        from core.monitor.service import RESET_REQUEST_KEY

        self.repo.set_value(RESET_REQUEST_KEY, {"by": operator, "requested_ms": wall_ms()}, wall_ms())
        self.service.run_cycle()

    def stop(self) -> None:
        self.service.stop()
        if self.lease is not None:
            self.lease.release()
            self.lease = None
        if self.alerts is not None:
            self.alerts.stop()
        if self.paper is not None:
            self.paper.stop()
