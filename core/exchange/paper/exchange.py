"""`PaperExchange`: the whole stand-in (market, ledger, engine, faults, rate limit) behind one lock.

In-process API for the console and tests: `start()/stop()`, `base_url`, `switch_scenario()`,
`fast_forward()`, `inject_fault()`, `open_account()`, `approve_agent()`.
Simulated time = start + (wall elapsed x speed) + fast-forwards; the market catches up lazily on
each request, so no background thread is needed and an injected clock makes tests sleep-free.
"""
from __future__ import annotations

import collections
import json
import logging
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from core.errors import BadInputError
from core.exchange.paper import info as info_api
from core.exchange.paper.actions import ActionDesk
from core.exchange.paper.bars import MAX_CANDLES
from core.exchange.paper.book import BookSettings
from core.exchange.paper.clock import Clock, WallClock
from core.exchange.paper.demo import DEFAULT_DEMO_ADDRESS, seed_demo_account
from core.exchange.paper.engine import Engine
from core.exchange.paper.faults import FaultPlan, broken_body, rate_limit_body
from core.exchange.paper.funding import FundingBook
from core.exchange.paper.ledger import Ledger
from core.exchange.paper.liquidation import RiskDesk
from core.exchange.paper.market import DEFAULT_COINS, CoinSpec, MarketSim
from core.exchange.paper.player import MS_PER_MINUTE, ScenarioPlayer
from core.exchange.paper.request_check import BodyError, check_exchange_body, check_info_body, parse_body
from core.exchange.paper.ratelimit import WEIGHT_BUDGET_PER_MINUTE, WeightWindow, exchange_weight, info_weight
from core.exchange.paper.scenario import Scenario, load_scenario
from core.exchange.ticks import round_price
from core.exchange.paper.server import DEFAULT_IDLE_TIMEOUT_S, HttpReply, LoopbackServer
from core.market.loader import load_csv

log = logging.getLogger("evorisk.paper")
TEXT = "text/plain; charset=utf-8"
# A simulated day per wall second at most: the market is produced minute by minute on demand, so
# a faster clock (inf, 1e300) would make every request compute years of bars and never answer.
MAX_SPEED = 86_400.0
MAX_SEED = 2**63 - 1  # numpy's generators take any non-negative integer; the CLI's flag says so
MAX_IDLE_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class PaperSettings:
    seed: int = 7
    scenario: str = "demo"  # shipped name or path to a JSON file
    speed: float = 60.0  # simulated seconds per wall second: one simulated minute per real second
    history_minutes: int = MAX_CANDLES * 5  # minute bars before the start: 5000 candles of 1m, 3m and 5m
    deep_history: bool = True  # coarser synthetic history before that: 5000 candles of every interval
    host: str = "127.0.0.1"
    port: int = 0
    demo_address: str | None = DEFAULT_DEMO_ADDRESS
    leverage: int = 10  # cross leverage of every position
    fee_rate: float = 0.00045  # Hyperliquid's base taker fee
    book: BookSettings = field(default_factory=BookSettings)
    weight_budget_per_minute: int = WEIGHT_BUDGET_PER_MINUTE
    schedule_cancel_min_volume_usd: float = 0.0  # mainnet demands $1M; 0 so the switch is testable
    coins: tuple[CoinSpec, ...] = DEFAULT_COINS
    replay_csv: dict[str, str] = field(default_factory=dict)  # coin -> CSV replayed one bar per minute
    # Candles kept per coin and interval, as on Hyperliquid; None keeps all history (each reply
    # still capped at 5000 back from endTime) for tests of paging deeper than the venue allows.
    candles_kept: int | None = MAX_CANDLES
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S  # idle or half-sent connections are closed after this

    def __post_init__(self) -> None:
        if isinstance(self.speed, bool) or not (isinstance(self.speed, (int, float)) and 0 <= self.speed <= MAX_SPEED):
            raise BadInputError(f"paper settings: speed must be a number in [0, {MAX_SPEED:g}] simulated seconds "
                                f"per second, got {self.speed!r}")
        if isinstance(self.seed, bool) or not (isinstance(self.seed, int) and 0 <= self.seed <= MAX_SEED):
            raise BadInputError(f"paper settings: seed must be an integer in [0, 2**63 - 1], got {self.seed!r}")
        if not (isinstance(self.idle_timeout_s, (int, float)) and 0 < self.idle_timeout_s <= MAX_IDLE_TIMEOUT_S):
            raise BadInputError(f"paper settings: idle_timeout_s must be in (0, {MAX_IDLE_TIMEOUT_S:g}], "
                                f"got {self.idle_timeout_s!r}")
        if not (self.history_minutes >= 1 and self.leverage >= 1 and math.isfinite(self.fee_rate) and self.fee_rate >= 0):
            raise BadInputError("paper settings: history_minutes >= 1, leverage >= 1, fee_rate >= 0")
        if self.candles_kept is not None and self.candles_kept < 1:
            raise BadInputError(f"paper settings: candles_kept must be >= 1 or None, got {self.candles_kept}")
        unknown = set(self.replay_csv) - {c.name for c in self.coins}
        if unknown:
            raise BadInputError(f"paper settings: replay_csv names unknown coins {sorted(unknown)}")


class PaperExchange:
    def __init__(self, settings: PaperSettings | None = None, clock: Clock | None = None):
        self.settings = s = settings or PaperSettings()
        self.clock = clock or WallClock()
        self._lock = threading.RLock()
        self._wall_start_ms = self.clock.now_ms()
        # Simulated time starts on a minute boundary so a seed gives the same bars whenever it runs.
        self._sim_start_ms = self._wall_start_ms // MS_PER_MINUTE * MS_PER_MINUTE
        self._forward_ms = 0
        scenario = load_scenario(s.scenario)
        self.player = ScenarioPlayer(scenario, self._sim_start_ms)
        replay = {coin: load_csv(path, coin) for coin, path in s.replay_csv.items()}
        self.market = MarketSim(s.coins, self.player, seed=s.seed, start_ms=self._sim_start_ms,
                                history_minutes=s.history_minutes, replay=replay, deep_history=s.deep_history)
        # Bars start on a minute boundary; timestamps carry the remainder so that at speed 1 they
        # are the wall clock itself (clients such as ccxt compare venue time with their own).
        self.market.clock_offset_ms = self._wall_start_ms - self._sim_start_ms
        self.market.time_ms = self._wall_start_ms
        self.ledger = Ledger(s.fee_rate, {c.name: c.sz_decimals for c in s.coins}, s.leverage)
        self.engine = Engine(self.ledger, self.market, s.book, s.leverage)
        self.funding = FundingBook({c.name: self.market.series(c.name) for c in s.coins})
        self.funding.backfill(self.market.first_minute_ms, self.market.now_ms)
        self.risk = RiskDesk(self.ledger, self.market, s.book, self.funding)  # after the engine: stops first
        self.desk = ActionDesk(self.ledger, self.engine, s.schedule_cancel_min_volume_usd)
        self.faults = FaultPlan(s.seed)
        self.weights = WeightWindow(self.clock, s.weight_budget_per_minute)
        self.demo_address = s.demo_address.lower() if s.demo_address else None
        if self.demo_address:
            seed_demo_account(self.ledger, self.market, self.demo_address, scenario.demo_account)
        self._server: LoopbackServer | None = None
        # The harness ledger: requests that arrived per endpoint, and /exchange POSTs per cloid, so
        # tests can assert "0 /exchange calls" and "exactly 1 POST per cloid" (faulted ones count).
        self.request_counts: collections.Counter[str] = collections.Counter()
        self.posted_cloids: collections.Counter[str] = collections.Counter()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "PaperExchange":
        self._server = LoopbackServer(self, self.settings.host, self.settings.port, self.settings.idle_timeout_s)
        self._server.start()
        log.info("paper exchange on %s, scenario %s", self.base_url, self.player.scenario.name)
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "PaperExchange":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("paper exchange not started")
        return self._server.base_url

    # -- in-process control --------------------------------------------------------------------
    def sim_now_ms(self) -> int:
        elapsed_ms = self.clock.now_ms() - self._wall_start_ms
        return int(self._sim_start_ms + elapsed_ms * self.settings.speed + self._forward_ms)

    def _sync(self) -> None:
        self.market.advance_to(self.sim_now_ms())
        self.desk.fire_scheduled_cancels(self.clock.now_ms())

    def fast_forward(self, minutes: float) -> None:
        """Advance simulated time now (triggers fire, resting orders fill on the way)."""
        with self._lock:
            self._forward_ms += int(minutes * MS_PER_MINUTE)
            self._sync()

    def switch_scenario(self, scenario: str | Scenario) -> Scenario:
        """Start another scenario from minute 0, prices continuing from where they are."""
        new = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        with self._lock:
            self._sync()
            self.player.switch(new, self.market.now_ms, [c.name for c in self.settings.coins])
            self.faults.clear()
        log.info("paper exchange switched to scenario %s", new.name)
        return new

    def inject_fault(self, kind: str, *, count: int = 1, endpoint: str = "any", **params: object) -> None:
        """Apply `kind` (scenario.FAULT_KINDS: http_429, http_5xx, malformed, latency, drop,
        order_error, action_error) to the next `count` requests of `endpoint`."""
        with self._lock:
            self.faults.inject(kind, count=count, endpoint=endpoint, **params)

    def open_account(self, address: str, cash_usd: float) -> None:
        with self._lock:
            self.ledger.open_account(address, cash_usd, self.market.now_ms)

    def approve_agent(self, master: str, agent: str) -> None:
        """Let `agent` sign for `master` (what approveAgent does on Hyperliquid)."""
        with self._lock:
            self.ledger.agents[agent.lower()] = master.lower()

    def mids(self) -> dict[str, float]:
        """The mids as clients see them in allMids (on the venue's tick)."""
        with self._lock:
            self._sync()
            return {coin: round_price(px, self.market.sz_decimals(coin)) for coin, px in self.market.mids().items()}

    # -- HTTP ------------------------------------------------------------------------------------
    def handle_request(self, path: str, body: bytes) -> HttpReply:
        endpoint = path.strip("/").split("?")[0]
        if endpoint not in ("info", "exchange"):
            return HttpReply(404, "Not Found", TEXT)
        with self._lock:
            self._note_request(endpoint, body)
            self._sync()
            draw = self.faults.draw(endpoint, self.player.faults(self.market.now_ms, endpoint))
            fault = draw.fault
            if fault and fault.kind == "http_429":
                return HttpReply(429, rate_limit_body(str(fault.params.get("body", "text"))), TEXT,
                                 {"Retry-After": str(fault.params.get("retry_after_s", 1))}, draw.latency_ms)
            if fault and fault.kind == "http_5xx":
                status = int(fault.params.get("status", 502))
                return HttpReply(status, f"{status} upstream error", TEXT, latency_ms=draw.latency_ms)
            forced = None
            if fault and fault.kind in ("order_error", "action_error"):
                forced = (fault.kind, str(fault.params.get("message", "Order rejected by the paper exchange.")))
            reply = self._answer(endpoint, body, forced)
        if fault and fault.kind == "drop":
            return HttpReply(reply.status, reply.body, reply.content_type, reply.headers, draw.latency_ms, drop=True)
        if fault and fault.kind == "malformed" and reply.status == 200:
            broken = broken_body(reply.body, str(fault.params.get("mode", "truncated")))
            return HttpReply(200, broken, reply.content_type, reply.headers, draw.latency_ms)
        return HttpReply(reply.status, reply.body, reply.content_type, reply.headers, draw.latency_ms)

    def _note_request(self, endpoint: str, raw: bytes) -> None:
        self.request_counts[endpoint] += 1
        if endpoint != "exchange":
            return
        try:
            action = parse_body(raw).get("action", {})
            orders = action.get("orders") or []
            self.posted_cloids.update(str(o["c"]).lower() for o in orders if isinstance(o, dict) and o.get("c"))
        except (BodyError, AttributeError, TypeError):
            pass  # a malformed body is answered with 422 below; it carried no usable cloid

    def _rate_limited(self, retry_after_s: float) -> HttpReply:
        return HttpReply(429, "Too many requests: weight budget of the minute exhausted.", TEXT,
                         {"Retry-After": f"{max(1, round(retry_after_s))}"})

    def _answer(self, endpoint: str, raw: bytes, forced_error: tuple[str, str] | None = None) -> HttpReply:
        try:
            body: Any = parse_body(raw)
            kind = check_exchange_body(body) if endpoint == "exchange" else check_info_body(body)
        except BodyError as exc:
            return HttpReply(422, str(exc), TEXT)
        if endpoint == "exchange":
            orders = body["action"].get("orders") or body["action"].get("cancels") or []
            wait_s = self.weights.try_spend(exchange_weight(len(orders) if isinstance(orders, list) else 1))
            if wait_s is not None:
                return self._rate_limited(wait_s)
            return HttpReply(200, json.dumps(self.desk.run(body, self.clock.now_ms(), forced_error)))
        try:
            venue = info_api.Venue(self.ledger, self.market, self.settings.book, self.funding, self.settings.leverage,
                                   self.clock.now_ms(), self.settings.candles_kept)
            reply, n_items = info_api.answer(body, venue)
        except info_api.BadRequest as exc:
            return HttpReply(422, f"Failed to deserialize the JSON body into the target type: {exc}", TEXT)
        wait_s = self.weights.try_spend(info_weight(kind, n_items))
        if wait_s is not None:
            return self._rate_limited(wait_s)
        return HttpReply(200, json.dumps(reply))
