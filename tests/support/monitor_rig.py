"""The monitor rig (no tests here): the in-process paper exchange on a manual clock, an agent key
approved for the demo account, the real SDK gateway, a MonitorService on a temporary database.
One simulated minute per step, so nothing sleeps. The exchange is stopped after the test by the
autouse fixture in tests/conftest.py."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import eth_account
import numpy as np

from core.exchange.gateway import HyperliquidGateway
from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.genome import decode, default_genes
from core.monitor.service import MonitorService, MonitorSettings
from storage.monitor_repo import MonitorRepo
from storage.store import Store
from tests.support.paper import start_paper

INTERVAL_S = 1.0
# Net long 200k on 100k cash: a 0.2 %/min crash costs ~0.4 % of equity a minute, so a 5 % breaker
# walks NORMAL -> TIGHTENED -> REDUCING -> EMERGENCY one state at a time, long before a 16 % stop.
BIG_BOOK = {"cash_usd": 100_000.0, "positions": [
    {"coin": "BTC", "side": "long", "notional_usd": 200_000.0},
    {"coin": "ETH", "side": "short", "notional_usd": 100_000.0},
    {"coin": "SOL", "side": "long", "notional_usd": 100_000.0}]}
SLOW_CRASH = {"name": "slow-crash", "description": "20 % over 100 minutes from minute 1",
              "events": [{"kind": "crash", "at_min": 1, "over_min": 100, "pct": 20}], "demo_account": BIG_BOOK}
CALM = {"name": "calm", "events": [], "demo_account": BIG_BOOK}


def test_genes() -> np.ndarray:
    g = default_genes()
    g[13] = 0.0  # max drawdown 5 %
    g[0] = 1.0  # 20 % base stop: protective stops stay far from the crash path
    return g


test_genes.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def write_scenario(tmp_path: Path, scenario: dict) -> str:
    path = tmp_path / f"{scenario['name']}.json"
    path.write_text(json.dumps(scenario))
    return str(path)


@dataclass
class Rig:
    paper: PaperExchange
    clock: ManualClock
    agent_key: str
    gateway: HyperliquidGateway
    repo: MonitorRepo
    db_path: Path

    def service(self, genes: np.ndarray | None = None, label: str = "test") -> MonitorService:
        params = decode(test_genes() if genes is None else genes)
        return MonitorService(self.gateway, self.repo, MonitorSettings(self.paper.demo_address, INTERVAL_S),
                              lambda: (params, label), self.clock.now_ms)

    def step(self, minutes: float = 1.0) -> None:
        self.paper.fast_forward(minutes)
        self.clock.advance(INTERVAL_S)

    def order_cloids(self) -> list[str]:
        """Every cloid the exchange has booked for the demo account (duplicates would show twice)."""
        return [o.cloid.lower() for o in self.paper.ledger.orders.values()
                if o.cloid and o.user == self.paper.demo_address]

    def order_posts(self) -> int:
        return len(self.paper.desk.signers_seen)

    def position_sizes(self) -> dict[str, float]:
        return {p.coin: p.size for p in self.gateway.account_state(self.paper.demo_address).positions}


def make_rig(tmp_path: Path, scenario: dict = CALM, *, timeout_s: float = 2.0, key: str | None = None,
             **paper_settings: Any) -> Rig:
    """Paper exchange on `scenario` at real speed on a manual clock, an agent (or `key`) approved for
    the demo account, the real SDK gateway with `timeout_s`, a MonitorRepo on a file database;
    `paper_settings` go to PaperSettings (book, volume gates, ...)."""
    clock = ManualClock()
    paper = start_paper(PaperSettings(scenario=write_scenario(tmp_path, scenario), speed=1.0, **paper_settings), clock)
    agent = eth_account.Account.from_key(key) if key else eth_account.Account.create()
    paper.approve_agent(paper.demo_address, agent.address)
    gateway = HyperliquidGateway("paper", base_url=paper.base_url, private_key=agent.key.hex(),
                                 account_address=paper.demo_address, timeout_s=timeout_s, now_ms=clock.now_ms)
    db_path = tmp_path / "monitor.db"
    return Rig(paper, clock, agent.key.hex(), gateway, MonitorRepo(Store(db_path)), db_path)
