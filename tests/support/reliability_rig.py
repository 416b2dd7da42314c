"""Helpers for the RELIABILITY section 2 scenario tests (no tests here).

`rig` is the monitor rig of tests/support/monitor_rig.py (its knobs: the gateway's timeout, the
key, paper settings such as volume gates and book); this module adds one place that proposes an
emergency exit. Every
count comes from the paper exchange's own request ledger (`request_counts`, `posted_cloids`), so
"0 /exchange calls" and "exactly 1 POST per cloid" are measured at the HTTP server.
"""
from __future__ import annotations

from pathlib import Path

from core.monitor.orders import ProposedAction
from core.monitor.proposals import close_legs
from storage.store import Store
from tests.support.monitor_rig import Rig
from tests.support.monitor_rig import make_rig as rig  # noqa: F401  (the name the scenario tests use)

SEND_TTL_MS = 600_000


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
