"""Replay hook (issue 14): drive the paper exchange tick by tick from outside, on a simulated clock.

`evorisk replay` needs each CSV bar as ticks in the kernel's adverse-first order, at exact
prices. A tick here is one flat minute bar per coin (open = high = low = close = the tick price)
appended at a given venue time, after which the engine's minute listeners run as for any
simulated minute: triggers that the tick crossed fire, resting limits fill. Nothing else in the
paper exchange changes; the market only must not generate bars of its own meanwhile (the replay
uses a ManualClock that never advances past the first tick).
"""
from __future__ import annotations

from typing import Mapping

from core.exchange.paper.exchange import PaperExchange
from core.exchange.paper.player import MS_PER_MINUTE

TICK_VOLUME_BASE = 1.0  # candles need a volume; replay does not model it


def push_tick(exchange: PaperExchange, time_ms: int, prices: Mapping[str, float | tuple[float, float, float, float]],
              now_after_ms: int | None = None) -> None:
    """Append one tick as the bar at `time_ms` (after the last bar): every coin in `prices` moves
    there (a price, or an (open, high, low, close) bar for a test that needs a wick), the others
    repeat their last price; the venue clock becomes `now_after_ms` (default one minute later),
    then triggers and resting orders are checked."""
    with exchange._lock:
        market = exchange.market
        last = {name: series for name, series in market._series.items()}
        for name, series in last.items():
            if len(series) and time_ms <= int(series._time_ms[len(series) - 1]):
                raise ValueError(f"tick at {time_ms} is not after the last bar of {name}")
        for name, series in last.items():
            bar = prices.get(name, series.last_close())
            o, h, l, c = (float(bar),) * 4 if isinstance(bar, (int, float)) else map(float, bar)
            series.append(time_ms, o, h, l, c, TICK_VOLUME_BASE)
        market._next_minute_ms = time_ms + MS_PER_MINUTE if now_after_ms is None else int(now_after_ms)
        market.time_ms = max(market.time_ms, market._next_minute_ms + market.clock_offset_ms)  # replies' venue time
        for listener in market.minute_listeners:
            listener(market._next_minute_ms)


def resting_triggers(exchange: PaperExchange, coin: str) -> list[float]:
    """Trigger prices of the active trigger orders on `coin`: a continuous path between two ticks
    passes through them, so the replay visits each one it crosses."""
    with exchange._lock:
        return [o.trigger["triggerPx"] for o in exchange.ledger.orders.values()
                if o.is_active and o.coin == coin and o.trigger is not None]
