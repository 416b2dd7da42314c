"""Candle-derived inputs, fetched through the gateway and cached: daily candles for the stop
indicators and 1h candles over 7 days for correlation, both refreshed hourly or when the set of
held coins changes. A candle failure keeps the previous values (the account and mids are what
make a poll good or STALE; indicators only shape the stop levels).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from core.exchange.errors import ExchangeError
from core.exchange.gateway import ExchangeGateway
from core.monitor.indicators import CoinIndicators, coin_indicators, correlation_matrix

log = logging.getLogger("evorisk.monitor")

MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000
CORRELATION_DAYS = 7  # SPEC 5: 1h returns over 7 days
DAILY_HISTORY_DAYS = 200  # covers the 180-bar regime and vol_lookback + 100 bars of avg_vol
REFRESH_MS = MS_PER_HOUR


@dataclass
class CandleCache:
    gateway: ExchangeGateway
    refresh_ms: int = REFRESH_MS
    indicators: dict[str, CoinIndicators] = field(default_factory=dict)
    corr_coins: tuple[str, ...] = ()
    corr_matrix: np.ndarray | None = None
    _key: tuple = ()
    _refreshed_ms: int | None = None

    def update(self, coins: tuple[str, ...], vol_lookback_bars: int, venue_now_ms: int) -> None:
        """Refresh when an hour has passed or the held coins / lookback changed."""
        key = (tuple(sorted(coins)), vol_lookback_bars)
        fresh = self._refreshed_ms is not None and venue_now_ms - self._refreshed_ms < self.refresh_ms
        if key == self._key and fresh:
            return
        try:
            indicators = {c: self._daily(c, vol_lookback_bars, venue_now_ms) for c in key[0]}
            closes = {c: self._hourly_closes(c, venue_now_ms) for c in key[0]}
        except ExchangeError as exc:
            log.warning("candles unavailable, keeping the previous indicators: %s", exc)
            return
        self.indicators = indicators
        self.corr_coins = key[0]
        self.corr_matrix = correlation_matrix(closes, key[0]) if len(key[0]) >= 2 else None
        self._key, self._refreshed_ms = key, venue_now_ms

    def _daily(self, coin: str, vol_lookback_bars: int, now_ms: int) -> CoinIndicators:
        candles = [c for c in self.gateway.candles(coin, "1d", now_ms - DAILY_HISTORY_DAYS * MS_PER_DAY, now_ms)
                   if c.close_ms < now_ms]  # completed bars only, as the backtest uses bar t-1
        if not candles:
            return CoinIndicators()
        high = np.array([c.high_px for c in candles])
        low = np.array([c.low_px for c in candles])
        close = np.array([c.close_px for c in candles])
        last = candles[-1]
        return replace(coin_indicators(high, low, close, vol_lookback_bars), bar_open_ms=int(last.open_ms),
                       bar_high=float(last.high_px), bar_low=float(last.low_px))

    def _hourly_closes(self, coin: str, now_ms: int) -> dict[int, float]:
        return hourly_closes(self.gateway, coin, now_ms)


def hourly_closes(gateway: ExchangeGateway, coin: str, now_ms: int) -> dict[int, float]:
    """Closes of the completed 1h candles of the last CORRELATION_DAYS, keyed by open time: the
    correlation input of the monitor and of `evorisk size`."""
    candles = gateway.candles(coin, "1h", now_ms - CORRELATION_DAYS * MS_PER_DAY, now_ms)
    return {c.open_ms: c.close_px for c in candles if c.close_ms < now_ms}
