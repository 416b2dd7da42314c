"""Download Hyperliquid candle history into a cache, incrementally, within the venue's limits.

Why it walks backwards: Hyperliquid serves only the most recent 5000 candles of a coin and
interval (HYPERLIQUID.md section 8), so the only page that is certain to exist is the newest.
Each request asks for a window of at most 5000 candles ending just before the oldest candle
seen, until the venue answers with nothing or the cached part (or `since`) is reached.

A coin's download is validated whole (core.market.candles.candle_problems, the CSV rules) and
written in one transaction, so a bad candle or a broken reply leaves that coin's cache untouched.
The newest candle is still forming while the venue is live; it is not cached (it would change),
so the next fetch picks it up complete. Weight is spent through a WeightLimiter, and a 429 is
waited out for its Retry-After before the same page is asked again.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.errors import BadInputError
from core.exchange.errors import (
    ExchangeServerError,
    ExchangeTimeout,
    ExchangeUnreachable,
    MalformedReply,
    RateLimited,
)
from core.exchange.models import Candle
from core.market.candles import CandleRow, candle_problems, candle_time_text, interval_ms
from core.market.weight_limiter import WeightLimiter, candle_snapshot_weight

log = logging.getLogger("evorisk.market.fetch")

VENUE_CANDLE_LIMIT = 5000  # candles Hyperliquid keeps per coin and interval (and serves per request)
SPAN_SLACK_CANDLES = 2  # the venue's present moves while we page; allow that much around 5000
MAX_PAGES_PER_COIN = 1000  # a runaway guard only: 1000 x 5000 candles is decades of 1m bars
MAX_RATE_LIMIT_RETRIES = 6
MAX_RETRY_AFTER_S = 120.0  # never sleep longer than two weight windows on the venue's say-so
MAX_TRANSIENT_RETRIES = 3  # 5xx and timeouts: reads are safe to repeat
TRANSIENT_BACKOFF_S = 1.0  # doubled per attempt


class CandleSource(Protocol):
    """What the fetcher needs of an exchange gateway (HyperliquidGateway satisfies it)."""

    network: str

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]: ...


class CandleSink(Protocol):
    """Where fetched candles go (storage.candle_repo.CandleRepo); one write per coin."""

    def last_candle_ms(self, source: str, coin: str, interval: str) -> int | None: ...

    def write_candles(self, source: str, coin: str, interval: str, rows: Sequence[CandleRow]) -> int: ...


def source_name(network: str) -> str:
    """The cache's `source` column for a venue: candles of different networks never mix."""
    return f"hl:{network}"


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class PageRequest:
    start_ms: int
    end_ms: int
    candles_served: int


@dataclass
class FetchSettings:
    interval: str = "1d"
    since_ms: int | None = None  # first fetch only: start here instead of as far back as served
    now_ms: Callable[[], int] = wall_clock_ms
    sleep: Callable[[float], None] = time.sleep
    limiter: WeightLimiter = field(default_factory=WeightLimiter)


@dataclass(frozen=True)
class CoinFetch:
    """What one coin's fetch did; `notes` says it in sentences for the CLI and the console."""

    coin: str
    interval: str
    source: str
    status: str  # "ok" | "rejected" (bad candles: nothing written) | "failed" (exchange trouble)
    new_rows: int = 0
    first_new_ms: int | None = None
    last_new_ms: int | None = None
    cached_before_ms: int | None = None  # newest cached candle before this fetch
    earliest_served_ms: int | None = None
    truncated: bool = False  # the venue's 5000-candle limit cut off history that was asked for
    hole: tuple[int, int] | None = None  # candles between cache and download the venue no longer serves
    pages: tuple[PageRequest, ...] = ()
    rate_limit_waits_s: tuple[float, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def notes(self) -> list[str]:
        out = []
        if self.truncated:
            out.append(f"{self.coin} {self.interval}: history truncated by the venue: it serves only the most "
                       f"recent {VENUE_CANDLE_LIMIT} candles, the oldest available is "
                       f"{candle_time_text(self.earliest_served_ms or 0)}")
        if self.hole:
            out.append(f"{self.coin} {self.interval}: gap in the cache from {candle_time_text(self.hole[0])} to "
                       f"{candle_time_text(self.hole[1])}: the venue no longer serves those candles")
        if self.rate_limit_waits_s:
            out.append(f"{self.coin} {self.interval}: rate limited {len(self.rate_limit_waits_s)} time(s), "
                       f"waited {sum(self.rate_limit_waits_s):.0f} s as the venue asked")
        return out


class _CoinAbort(Exception):
    """Internal: this coin cannot be fetched; carries the result to report."""

    def __init__(self, status: str, problem: str):
        super().__init__(problem)
        self.status, self.problem = status, problem


def _request(source: CandleSource, coin: str, interval: str, start_ms: int, end_ms: int, expected: int,
             settings: FetchSettings, waits: list[float]) -> list[Candle]:
    """One page, inside the weight budget; 429s waited out, 5xx and timeouts retried."""
    rate_limited = transient = 0
    while True:
        settings.limiter.acquire(candle_snapshot_weight(expected))
        try:
            candles = source.candles(coin, interval, start_ms, end_ms)
        except RateLimited as exc:
            settings.limiter.settle(0)  # the venue does not count a refused request
            rate_limited += 1
            if rate_limited > MAX_RATE_LIMIT_RETRIES:
                raise
            wait_s = min(max(exc.retry_after_s, 0.0), MAX_RETRY_AFTER_S)
            log.warning("%s %s: rate limited, waiting %.1f s (attempt %d)", coin, interval, wait_s, rate_limited)
            waits.append(wait_s)
            settings.sleep(wait_s)
            continue
        except (ExchangeServerError, ExchangeTimeout) as exc:
            transient += 1
            if transient > MAX_TRANSIENT_RETRIES:
                raise
            log.warning("%s %s: %s; retrying", coin, interval, exc)
            settings.sleep(TRANSIENT_BACKOFF_S * 2 ** (transient - 1))
            continue
        settings.limiter.settle(candle_snapshot_weight(len(candles)))
        return candles


def _walk_back(source: CandleSource, coin: str, settings: FetchSettings, floor_ms: int, now_ms: int,
               pages: list[PageRequest], waits: list[float],
               on_progress: Callable[[str, int], None] | None) -> tuple[list[Candle], bool]:
    """Newest-first pages down to `floor_ms`; returns the candles (oldest first) and whether the
    walk ended because the venue served nothing older."""
    step = interval_ms(settings.interval)
    chunks: list[list[Candle]] = []
    oldest: int | None = None
    # One interval past our present (or past the cache, if that is newer): a venue whose clock
    # runs ahead of ours (the paper exchange's simulated time) still serves its newest candles;
    # Hyperliquid simply stops at its own present.
    end = max(now_ms, floor_ms) + step
    count = 0
    while end >= floor_ms and len(pages) < MAX_PAGES_PER_COIN:
        start = max(floor_ms, end - VENUE_CANDLE_LIMIT * step + 1)
        expected = min(VENUE_CANDLE_LIMIT, (end - start) // step + 1)
        try:
            served = _request(source, coin, settings.interval, start, end, expected, settings, waits)
        except MalformedReply as exc:
            raise _CoinAbort("rejected", f"{coin} {settings.interval}: bad candleSnapshot reply for "
                             f"{candle_time_text(start)}..{candle_time_text(end)} ({exc}); nothing written "
                             f"for {coin}") from None
        # The first page may run past `end` (the venue's clock can be ahead of ours); later pages
        # keep only what is older than everything already seen, so the walk always moves back.
        got = sorted((c for c in served if c.open_ms >= start and (oldest is None or c.open_ms < oldest)),
                     key=lambda c: c.open_ms)
        pages.append(PageRequest(start, end, len(served)))
        if not got:
            return [c for chunk in reversed(chunks) for c in chunk], True
        chunks.append(got)
        oldest = got[0].open_ms
        count += len(got)
        end = oldest - 1
        if on_progress:
            on_progress(coin, count)
    return [c for chunk in reversed(chunks) for c in chunk], False


def fetch_coin(source: CandleSource, sink: CandleSink, coin: str, settings: FetchSettings,
               on_progress: Callable[[str, int], None] | None = None) -> CoinFetch:
    """Bring one coin's cache up to date; see the module docstring for the rules."""
    interval, src = settings.interval, source_name(source.network)
    step = interval_ms(interval)
    last = sink.last_candle_ms(src, coin, interval)
    floor = last + step if last is not None else max(0, settings.since_ms or 0)
    now = settings.now_ms()
    pages: list[PageRequest] = []
    waits: list[float] = []
    base = dict(coin=coin, interval=interval, source=src, cached_before_ms=last)
    try:
        served, ran_dry = _walk_back(source, coin, settings, floor, now, pages, waits, on_progress)
    except _CoinAbort as exc:
        return CoinFetch(**base, status=exc.status, problems=(exc.problem,), pages=tuple(pages),
                         rate_limit_waits_s=tuple(waits))
    except ExchangeUnreachable:
        raise  # every other coin would fail the same way: stop the whole fetch
    except BadInputError as exc:  # e.g. a coin the venue does not list
        return CoinFetch(**base, status="rejected", problems=(f"{coin} {interval}: {exc}",), pages=tuple(pages))
    except (RateLimited, ExchangeServerError, ExchangeTimeout) as exc:
        return CoinFetch(**base, status="failed", problems=(f"{coin} {interval}: gave up after retries: {exc}",),
                         pages=tuple(pages), rate_limit_waits_s=tuple(waits))
    earliest = served[0].open_ms if served else None
    truncated, hole = False, None
    if served and ran_dry and earliest >= floor + step:
        span = (served[-1].open_ms - earliest) // step + 1
        truncated = abs(span - VENUE_CANDLE_LIMIT) <= SPAN_SLACK_CANDLES
        if last is not None:
            hole = (floor, earliest - step)
    if served and served[-1].close_ms >= now:
        served = served[:-1]  # still forming: cache it when it is complete
    rows: list[CandleRow] = [(c.open_ms, c.open_px, c.high_px, c.low_px, c.close_px, c.volume_base) for c in served]
    problems = candle_problems(coin, interval, rows, after_ms=last)
    result = dict(base, earliest_served_ms=earliest, truncated=truncated, hole=hole, pages=tuple(pages),
                  rate_limit_waits_s=tuple(waits))
    if problems:
        problems.append(f"{coin} {interval}: {len(rows)} fetched candle(s) rejected; nothing written for {coin}")
        return CoinFetch(**result, status="rejected", problems=tuple(problems))
    written = sink.write_candles(src, coin, interval, rows) if rows else 0
    return CoinFetch(**result, status="ok", new_rows=written, first_new_ms=rows[0][0] if rows else None,
                     last_new_ms=rows[-1][0] if rows else None)


def fetch_coins(source: CandleSource, sink: CandleSink, coins: Sequence[str], settings: FetchSettings,
                on_progress: Callable[[str, int], None] | None = None,
                on_coin_done: Callable[[CoinFetch], None] | None = None) -> list[CoinFetch]:
    """fetch_coin for each coin in turn (one transaction each); an unreachable venue stops it."""
    interval_ms(settings.interval)  # an unknown interval is bad input before any request
    out = []
    for coin in coins:
        result = fetch_coin(source, sink, coin, settings, on_progress)
        out.append(result)
        if on_coin_done:
            on_coin_done(result)
    return out
