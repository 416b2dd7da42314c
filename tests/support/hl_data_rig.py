"""Shared pieces of the hl data tests: a fake clock for sleeps and a reply-editing stand-in server.

The stand-in forwards every request to the real paper exchange and may rewrite one
candleSnapshot answer, so a bad candle reaches the client over real HTTP through the real SDK,
exactly as a misbehaving venue would send it. (Hyperliquid's 5000-candle retention needs no
stand-in: the paper exchange keeps only the newest 5000 candles itself.)
"""
from __future__ import annotations

import json
from collections.abc import Callable

from core.exchange.gateway import HyperliquidGateway
from core.exchange.paper import PaperExchange
from core.exchange.paper.server import HttpReply, LoopbackServer
from core.market.hl_fetch import FetchSettings
from core.market.weight_limiter import WeightLimiter

CandleEdit = Callable[[dict, list], list]  # (request's `req`, candles) -> candles to send


class FakeTime:
    """monotonic() and sleep() that only move when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def now_s(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def settings_for(paper: PaperExchange, fake: FakeTime, interval: str = "1m", budget: int = 1000,
                 **kwargs) -> FetchSettings:
    return FetchSettings(interval=interval, now_ms=paper.clock.now_ms, sleep=fake.sleep,
                         limiter=WeightLimiter(budget, now_s=fake.now_s, sleep=fake.sleep), **kwargs)


def gateway_for(base_url: str) -> HyperliquidGateway:
    return HyperliquidGateway("paper", base_url=base_url, timeout_s=10.0)


class CandleEditingServer:
    """A loopback server in front of `paper` whose candleSnapshot replies pass through `edit`."""

    def __init__(self, paper: PaperExchange, edit: CandleEdit):
        self.paper, self.edit = paper, edit
        self._server = LoopbackServer(self, "127.0.0.1", 0)

    def handle_request(self, path: str, body: bytes) -> HttpReply:
        reply = self.paper.handle_request(path, body)
        request = json.loads(body or b"null")
        if reply.status != 200 or not isinstance(request, dict) or request.get("type") != "candleSnapshot":
            return reply
        candles = self.edit(request["req"], json.loads(reply.body))
        return HttpReply(200, json.dumps(candles), reply.content_type, reply.headers, reply.latency_ms)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def __enter__(self) -> "CandleEditingServer":
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

