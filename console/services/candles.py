"""The Hyperliquid candle cache for `evorisk data fetch` and `data list`: fetch into the cache
(core.market.hl_fetch pages, checks and rate-limits), and what the cache holds, with its gaps."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from console.services.data_spec import parse_time_ms
from console.services.opening import read_gateway
from core.errors import BadInputError
from core.market.candles import candle_time_text, missing_candles
from core.market.hl_fetch import CoinFetch, FetchSettings, fetch_coins
from storage import Store
from storage.candle_repo import CandleRepo


@dataclass(frozen=True)
class Fetched:
    results: list[CoinFetch]
    weight_wait_s: float  # how long the weight limiter held requests back


def parse_coins(text: str) -> list[str]:
    """`BTC,ETH,BTC` -> [BTC, ETH]; none at all is bad input."""
    coins = [c.strip() for c in text.split(",") if c.strip()]
    if not coins:
        raise BadInputError("--coins needs at least one coin, e.g. BTC,ETH")
    return list(dict.fromkeys(coins))


class CandleFetch:
    """One `data fetch`: the venue's read-only gateway and the cache, opened before any request so
    the command can say where it reads from."""

    def __init__(self, store: Store, network: str, base_url: str | None, timeout_s: float):
        self.gateway = read_gateway(network, base_url, timeout_s)
        self.repo = CandleRepo(store)

    def run(self, coins: Sequence[str], interval: str, since: str | None,
            on_progress: Callable[[str, int], None] | None = None,
            on_coin_done: Callable[[CoinFetch], None] | None = None) -> Fetched:
        """Each coin in one transaction; an unreachable venue stops the rest (status "failed")."""
        settings = FetchSettings(interval=interval, since_ms=parse_time_ms(since) if since else None)
        results = fetch_coins(self.gateway, self.repo, list(coins), settings, on_progress=on_progress,
                              on_coin_done=on_coin_done)
        return Fetched(results, settings.limiter.waited_s)

    def cached(self, r: CoinFetch) -> dict[str, Any] | None:
        """The cache's range and row count for the fetched coin and interval, after the fetch."""
        rows = [s for s in self.repo.summary() if (s["source"], s["coin"], s["interval"]) == (r.source, r.coin, r.interval)]
        return rows[0] if rows else None


def cache_listing(store: Store) -> list[dict[str, Any]]:
    """Every cached (source, coin, interval) with its range as text and its missing candles."""
    return [dict(s, gaps=missing_candles(s["first_ms"], s["last_ms"], s["rows"], s["interval"]),
                 first=candle_time_text(s["first_ms"]), last=candle_time_text(s["last_ms"]))
            for s in CandleRepo(store).summary()]
