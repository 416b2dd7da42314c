"""Shared rig for the RELIABILITY section 2 scenario tests (no tests here).

The monitor rig of test_monitor_support, with the knobs the fault scenarios need: the gateway's
timeout, paper settings (volume gate, book) and one place that proposes an emergency exit. Every
count comes from the paper exchange's own request ledger (`request_counts`, `posted_cloids`), so
"0 /exchange calls" and "exactly 1 POST per cloid" are measured at the HTTP server.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import eth_account
import pytest

from core.exchange.gateway import HyperliquidGateway
from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.monitor.orders import ProposedAction
from core.monitor.proposals import close_legs
from storage.monitor_repo import MonitorRepo
from storage.store import Store
from tests.support.monitor_rig import CALM, Rig, write_scenario

SEND_TTL_MS = 600_000
_STARTED: list[PaperExchange] = []


@pytest.fixture(autouse=True)
def stop_paper_exchanges() -> Iterator[None]:
    """Stop every paper exchange a test started (import this fixture into each test module)."""
    yield
    while _STARTED:
        _STARTED.pop().stop()


def rig(tmp_path: Path, scenario: dict = CALM, *, timeout_s: float = 2.0, key: str | None = None,
        **paper: Any) -> Rig:
    """Paper exchange on a manual clock, an agent (or `key`) approved for the demo account, the
    real SDK gateway with `timeout_s`, a MonitorRepo on a file database."""
    clock = ManualClock()
    settings = PaperSettings(scenario=write_scenario(tmp_path, scenario), speed=1.0, **paper)
    exchange = PaperExchange(settings, clock=clock).start()
    _STARTED.append(exchange)
    agent = eth_account.Account.from_key(key) if key else eth_account.Account.create()
    exchange.approve_agent(exchange.demo_address, agent.address)
    gateway = HyperliquidGateway("paper", base_url=exchange.base_url, private_key=agent.key.hex(),
                                 account_address=exchange.demo_address, timeout_s=timeout_s, now_ms=clock.now_ms)
    db_path = tmp_path / "monitor.db"
    return Rig(exchange, clock, agent.key.hex(), gateway, MonitorRepo(Store(db_path)), db_path)


def propose_exit(r: Rig, coins: tuple[str, ...] | None = None) -> int:
    """An exit_all action over the demo positions (or `coins` of them), exactly as the monitor builds it."""
    state = r.gateway.account_state(r.paper.demo_address)
    positions = [p for p in state.positions if coins is None or p.coin in coins]
    decimals = {p.coin: r.gateway.sz_decimals(p.coin) for p in positions}
    legs = close_legs(positions, r.gateway.mids(), 1.0, decimals)
    now = r.clock.now_ms()
    return r.repo.create_action(ProposedAction("exit_all", "reliability test exit", legs), now, now + SEND_TTL_MS).id


def exchange_calls(r: Rig) -> int:
    return r.paper.request_counts["exchange"]


def fills_table(r: Rig) -> list[dict]:
    return r.repo.store.query("SELECT cloid, size, px FROM fills ORDER BY id")


def integrity_ok(db_path: Path) -> bool:
    fresh = Store(db_path)
    try:
        return fresh.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    finally:
        fresh.close()
