"""The replay's venue: the paper exchange on a simulated clock, the real SDK gateway and the real
monitor (standing exits on, breaker actions approved by "replay"), driven bar by bar by
console/services/replay.py. Also turns the paper ledger's fills back into exit events for the
comparison. The gateway (a throw-away agent approved for the demo account) and the temporary
database are opened by console/services/opening.py, as every other surface's are.
"""
from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from console.services.opening import open_scratch_store, paper_demo_gateway
from core.exchange.models import OrderRequest
from core.exchange.paper import ManualClock, PaperExchange, PaperSettings
from core.exchange.paper.book import BookSettings
from core.exchange.paper.market import CoinSpec
from core.exchange.paper.ticks import push_tick, resting_triggers
from core.genome import decode
from core.monitor.operator_requests import RESET_REQUEST_KEY
from core.monitor.service import MonitorService, MonitorSettings
from core.monitor.standing import PROTECTION_KEY, parse_cloid, protection_record
from core.policy import DAYS_PER_YEAR, emergency_cooldown_bars
from core.replay.compare import ExitEvent
from core.vocabulary import ActionStatus, BreakerState
from storage.monitor_repo import MonitorRepo

ENTRY_LIMIT_SLIPPAGE = 0.05  # IOC entries cross the book; the unlimited-depth book fills them at the mid x slip

log = logging.getLogger("evorisk.replay")
MS_PER_DAY = 86_400_000
MS_PER_MINUTE = 60_000
ACTION_KIND = {"time_exit": "time", "take_profit": "take_profit", "reduce": "breaker_reduce",
               "exit_all": "breaker_exit", "protective_stops": "stop"}
GENOME_LABEL = "replay genome"
GATEWAY_TIMEOUT_S = 10.0  # a replay day's ticks and orders on loopback; generous under a loaded CI


class _NoTimer:
    def cancel(self) -> None:
        """The replay calls each cycle itself."""


class ReplayVenue:
    def __init__(self, ds, coins: list[str], genes: np.ndarray, fee: float, slippage: float,
                 sz_decimals: dict[str, int]):
        self.ds, self.coins, self.slippage = ds, coins, slippage
        self.idx = {c: ds.names.index(c) for c in coins}
        self._tmp = tempfile.TemporaryDirectory(prefix="evorisk-replay-")
        tmp = Path(self._tmp.name)
        scenario = tmp / "replay.json"
        scenario.write_text(json.dumps({"name": "replay", "events": [], "demo_account": {
            "cash_usd": ds.config.initial_cash_usd, "positions": []}}))
        # The paper exchange checks nonces against its clock, so that clock stays at the present and
        # history is shifted forward by whole days (daily candles keep their boundaries).
        self.clock = ManualClock()
        day0_ms = int(ds.time_ns[0] // 1_000_000)
        self.shift_ms = ((self.clock.now_ms() - day0_ms) // MS_PER_DAY + 2) * MS_PER_DAY
        first_px = {c: float(ds.open[self.idx[c]][~np.isnan(ds.open[self.idx[c]])][0]) for c in coins}
        specs = tuple(CoinSpec(c, sz_decimals[c], 50, first_px[c]) for c in coins)
        # unlimited depth at exactly mid x (1 +- slippage): the kernel's execution price
        book = BookSettings(half_spread_bps=slippage * 1e4, level_step_bps=0.0, levels=1, depth_usd_per_level=1e18)
        self.paper = PaperExchange(PaperSettings(scenario=str(scenario), speed=0.0, history_minutes=1, fee_rate=fee,
                                                 book=book, coins=specs, candles_kept=None, leverage=20,
                                                 weight_budget_per_minute=10**12),
                                   clock=self.clock).start()
        self.address = self.paper.demo_address
        self.gateway = paper_demo_gateway(self.paper, timeout_s=GATEWAY_TIMEOUT_S)
        self.repo = MonitorRepo(open_scratch_store(tmp / "replay.db"))
        self.now_ms = 0
        self.repo.set_value(PROTECTION_KEY, protection_record(True, "replay", 0, "replay runs the genome's standing "
                                                                              "exits"), 0)
        params = decode(genes)
        settings = MonitorSettings(self.address, poll_interval_s=86_400.0, can_trade=True, confirm_gaps=False,
                                   entry_slippage=slippage, best_from_marks=False, fee_per_side=fee)
        self.service = MonitorService(self.gateway, self.repo, settings, lambda: (params, GENOME_LABEL),
                                      lambda: self.now_ms, start_timer=lambda delay, fn: _NoTimer())
        self.breaker_state = BreakerState.NORMAL.name
        self.emergency_polls = 0  # consecutive decision polls in EMERGENCY
        self.stop_kind: dict[tuple[str, int], str] = {}  # (coin, bar) -> "stop" | "trail" of the resting stop
        self.auto_approved: list[int] = []

    def day_ms(self, t: int) -> int:
        """Venue time of bar t's day (history shifted to after the paper exchange's start)."""
        return int(self.ds.time_ns[t] // 1_000_000) + self.shift_ms

    def _px(self, arr: np.ndarray, t: int) -> dict[str, float]:
        return {c: float(arr[self.idx[c], t]) for c in self.coins if arr[self.idx[c], t] == arr[self.idx[c], t]}

    def _bar_ticks(self, t: int) -> None:
        """Warm-up bars: open, low, high, close as plain ticks (no positions yet)."""
        d = self.day_ms(t)
        for k, arr in enumerate((self.ds.open, self.ds.low, self.ds.high, self.ds.close)):
            push_tick(self.paper, d + k * MS_PER_MINUTE, self._px(arr, t), d + k * MS_PER_MINUTE + 1)

    def warm_up(self, w0: int) -> None:
        for t in range(max(0, w0 - 200), w0):
            self._bar_ticks(t)

    def decision_poll(self, t: int) -> None:
        """Bar t-1 is complete: one monitor cycle at the start of day t, then approve what it proposes."""
        d = self.day_ms(t)
        push_tick(self.paper, d - 1, {}, d + 1)  # the venue clock reaches day t; prices unchanged
        self.now_ms = d + 1
        if self.emergency_polls > emergency_cooldown_bars(DAYS_PER_YEAR):  # replay runs daily bars
            # the kernel resets the peak after 10 bars in EMERGENCY; live only an operator does, so
            # the replay's operator does it here (recorded as a reset by "replay")
            self.repo.set_value(RESET_REQUEST_KEY, {"by": "replay (kernel cool-down)", "requested_ms": d}, d)
            self.emergency_polls = 0
        snap = self.service.run_cycle()
        self.breaker_state = snap.breaker_state
        self.emergency_polls = self.emergency_polls + 1 if snap.breaker_state == BreakerState.EMERGENCY.name else 0
        for row in snap.positions:
            if row.exit_kind:
                self.stop_kind[(row.coin, t)] = row.exit_kind
        for action in self.repo.actions_with_status((ActionStatus.PENDING,)):
            self.repo.approve_action(action.id, "replay", self.now_ms)
            self.auto_approved.append(action.id)

    def open_bar(self, t: int, entries: list[tuple[str, int, float]]) -> None:
        d = self.day_ms(t)
        opens = self._px(self.ds.open, t)
        push_tick(self.paper, d, opens, d + 1)  # gaps fire the triggers they cross, at the open
        self.service.execute_approved(self.now_ms)  # breaker and time exits, at the open
        orders = [entry_request(c, side, units, opens[c]) for c, side, units in entries if c in opens]
        if orders:
            for result, req in zip(self.gateway.place_orders(orders), orders):
                if result.status != "filled":
                    log.warning("replay entry %s %g refused: %s", req.coin, req.size, result.error or result.status)

    def finish_bar(self, t: int) -> None:
        """Adverse extreme, favourable extreme, close; every resting trigger crossed is visited."""
        d = self.day_ms(t) + MS_PER_MINUTE
        sizes = {p.coin: p.size for p in self.paper_positions()}
        step = 0
        for leg in range(3):
            for coin in self.coins:
                a = self.idx[coin]
                o, h, lo, c = (self.ds.open[a, t], self.ds.high[a, t], self.ds.low[a, t], self.ds.close[a, t])
                if o != o:
                    continue
                long_first = sizes.get(coin, 1.0) >= 0  # adverse first: the low for a long (or flat) coin
                path = [o, lo, h, c] if long_first else [o, h, lo, c]
                start, end = path[leg], path[leg + 1]
                lo_b, hi_b = min(start, end), max(start, end)
                levels = sorted({px for px in resting_triggers(self.paper, coin) if lo_b < px < hi_b},
                                reverse=bool(end < start))
                for px in [*levels, end]:
                    push_tick(self.paper, d + step * MS_PER_MINUTE, {coin: float(px)}, d + step * MS_PER_MINUTE + 1)
                    step += 1

    def paper_positions(self):
        return self.gateway.account_state(self.address).positions

    def equity(self) -> float:
        return float(self.gateway.account_state(self.address).equity_usd)

    def bar_of(self, time_ms: int) -> int:
        return int(np.searchsorted(self.ds.time_ns // 1_000_000 + self.shift_ms, time_ms, side="right")) - 1

    def booked_events(self, last_bar: int) -> list[ExitEvent]:
        """Exit events from the paper ledger's fills (one per order), plus open positions at the end."""
        fills = self.paper.ledger.accounts[self.address].fills
        salt = self.repo.cloid_salt()
        by_oid: dict[int, list[dict]] = {}
        for f in fills:
            by_oid.setdefault(f["oid"], []).append(f)
        entry_bar: dict[str, int] = {}
        side_of: dict[str, int] = {}
        out = []
        for oid in sorted(by_oid, key=lambda o: by_oid[o][0]["tid"]):
            group = by_oid[oid]
            f0 = group[0]
            coin, bar = f0["coin"], self.bar_of(int(f0["time"]))
            size = sum(float(f["sz"]) for f in group)
            px = sum(float(f["px"]) * float(f["sz"]) for f in group) / size
            if f0["dir"].startswith("Open"):
                entry_bar[coin], side_of[coin] = bar, 1 if f0["side"] == "B" else -1
                continue
            out.append(ExitEvent(coin, side_of.get(coin, 0), entry_bar.get(coin, -1), bar,
                                 self._kind(f0, salt, coin, bar), px, size))
        for pos in self.paper_positions():
            close = float(self.ds.close[self.idx[pos.coin], last_bar])
            side = 1 if pos.size > 0 else -1
            out.append(ExitEvent(pos.coin, side, entry_bar.get(pos.coin, -1), last_bar, "window_end",
                                 close * (1 - side * self.slippage), abs(pos.size)))
        return out

    def _kind(self, fill: dict, salt: str, coin: str, bar: int) -> str:
        cloid = (fill.get("cloid") or "").lower()
        parsed = parse_cloid(salt, coin, cloid)
        if parsed is not None:
            return self.stop_kind.get((coin, bar), "stop") if parsed[0] == 0 else "take_profit"
        order = self.repo.get_order(cloid) if cloid else None
        action = self.repo.get_action(order.action_id) if order is not None else None
        return ACTION_KIND.get(action.kind, action.kind) if action is not None else "unknown"

    def stop(self) -> None:
        self.paper.stop()
        self._tmp.cleanup()


def entry_request(coin: str, side: int, units: float, open_px: float) -> OrderRequest:
    is_buy = side > 0
    limit = open_px * (1 + ENTRY_LIMIT_SLIPPAGE if is_buy else 1 - ENTRY_LIMIT_SLIPPAGE)
    return OrderRequest(coin, is_buy, units, limit, False, None, "Ioc")
